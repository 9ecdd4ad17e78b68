"""Repeated wrong passwords lock a username out from one address (django-axes), on the log-in
page and the API's token endpoint alike, with a message in the user's language; other users and
other addresses are not affected; an administrator can unlock at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanxi.accounts import services
from guanxi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def log_in(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail_until_locked(client: Client, username: str, ip: str = "10.0.0.1") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, username, "wrong", ip).status_code == 200
    assert log_in(client, username, "wrong", ip).status_code == 429


def test_wrong_passwords_lock_the_username_out_even_for_the_right_password(
    client: Client, two_teams
) -> None:
    fail_until_locked(client, "rep_a")
    response = log_in(client, "rep_a", "pw-rep_a")
    assert response.status_code == 429
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    body = response.content.decode()
    assert "密码错误次数过多" in body  # zh-hans, the default language
    assert 'value="rep_a"' in body  # the form is still there, with the username kept
    assert "_auth_user_id" not in client.session


def test_lockout_message_speaks_english_to_an_english_browser(two_teams) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    fail_until_locked(client, "rep_a")
    assert "Too many wrong passwords" in log_in(client, "rep_a", "pw-rep_a").content.decode()


def test_a_lockout_is_for_that_username_from_that_address_only(client: Client, two_teams) -> None:
    fail_until_locked(client, "rep_a", ip="10.0.0.1")
    # A colleague behind the same address logs in.
    assert log_in(Client(), "rep_b", "pw-rep_b", ip="10.0.0.1").status_code == 302
    # The user themself, from another address, too: nobody locks a colleague out from afar.
    assert log_in(Client(), "rep_a", "pw-rep_a", ip="10.0.0.2").status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(
    client: Client, two_teams
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "rep_a", "wrong")
    assert log_in(client, "rep_a", "pw-rep_a").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "rep_a", "wrong").status_code == 200
    assert log_in(client, "rep_a", "pw-rep_a").status_code == 302


def test_the_token_endpoint_counts_and_honours_the_same_lockout(client: Client, two_teams) -> None:
    url = reverse("api-token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url,
            {"username": "rep_a", "password": "wrong"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
        )
    response = client.post(
        url,
        {"username": "rep_a", "password": "pw-rep_a"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.json()["detail"]
    # And the web log-in from that address is locked for that user as well.
    assert log_in(client, "rep_a", "pw-rep_a").status_code == 429


def test_an_administrator_sees_the_lock_and_unlocks_the_user(client: Client, two_teams) -> None:
    w = two_teams
    fail_until_locked(Client(), "rep_a")
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(w.admin)
    assert "Locked out" in admin.get(reverse("accounts:user_list")).content.decode()
    page = admin.get(reverse("accounts:user_edit", args=[w.rep_a.pk])).content.decode()
    assert "Unlock this user" in page

    response = admin.post(reverse("accounts:user_unlock", args=[w.rep_a.pk]))
    assert response.status_code == 302
    assert log_in(client, "rep_a", "pw-rep_a").status_code == 302
    assert AuditEvent.objects.filter(
        object_id=str(w.rep_a.pk), changes__locked_out=[True, False]
    ).exists()
    assert (
        "Unlock this user"
        not in admin.get(reverse("accounts:user_edit", args=[w.rep_a.pk])).content.decode()
    )


def test_only_an_administrator_may_unlock(client: Client, two_teams) -> None:
    w = two_teams
    fail_until_locked(Client(), "rep_b")
    client.force_login(w.head_manager)
    response = client.post(reverse("accounts:user_unlock", args=[w.rep_b.pk]))
    assert response.status_code == 403
    assert log_in(Client(), "rep_b", "pw-rep_b").status_code == 429


def test_a_new_password_set_by_an_administrator_ends_the_lockout(two_teams) -> None:
    w = two_teams
    fail_until_locked(Client(), "rep_a")
    services.save_user(
        actor=w.admin,
        user=w.rep_a,
        data={},
        password="a-new-long-passphrase",
        version=w.rep_a.version,
    )
    assert log_in(Client(), "rep_a", "a-new-long-passphrase").status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(two_teams, settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "rep_a", "password": "wrong"},
            REMOTE_ADDR="10.9.9.9",  # the proxy
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",  # a forged entry, then the real one
        )
    # Another client behind the same proxy, with its own address, is not locked out.
    other = Client().post(
        reverse("login"),
        {"username": "rep_a", "password": "pw-rep_a"},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert other.status_code == 302


def test_lockout_message_is_translated() -> None:
    from guanxi.accounts.selectors import lockout_message

    with translation.override("zh-hans"):
        assert "密码" in lockout_message()
