"""The web entry: the home page is behind the login; the login page does not say which of the
username and password was wrong."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return User.objects.create_user(username="alice", password="correct horse battery")


def test_anonymous_home_redirects_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_logged_in_user_sees_home(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice" in body
    assert 'href="/api/docs/"' in body
    assert 'action="/logout/"' in body


def test_django_admin_site_is_not_served(client: Client, alice: User) -> None:
    # Nothing of the CRM is managed there, and its log-in form would be a second door.
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    assert client.get("/admin/").status_code == 404
    assert 'href="/admin/"' not in client.get("/").content.decode()


def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_login_with_correct_password_goes_home(client: Client, alice: User) -> None:
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_and_unknown_user_get_the_same_message(client: Client, alice: User) -> None:
    wrong_password = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    unknown_user = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong_password.status_code == unknown_user.status_code == 200
    errors = wrong_password.context["form"].non_field_errors()
    assert errors
    assert errors == unknown_user.context["form"].non_field_errors()
    assert 'role="alert"' in wrong_password.content.decode()


def test_logout_ends_the_session(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get("/").status_code == 302


def test_pages_are_in_chinese_and_english(client: Client, alice: User) -> None:
    client.force_login(alice)
    chinese = client.get("/", headers={"accept-language": "zh-hans"}).content.decode()
    assert "欢迎，alice" in chinese
    assert "API 文档" in chinese
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert "Welcome, alice" in english
    assert "API documentation" in english
