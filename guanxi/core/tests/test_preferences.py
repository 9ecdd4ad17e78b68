"""Each user's language and time zone: chosen on the preferences page or with the footer switch,
checked by the service, and applied to every page they open."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts import services
from guanxi.accounts.models import User
from guanxi.audit.models import AuditEvent
from guanxi.core.middleware import UserPreferencesMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user) -> User:
    return make_user("alice")


def test_service_saves_language_and_time_zone(alice: User) -> None:
    services.set_preferences(actor=alice, language="en", time_zone="Europe/Paris")
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("en", "Europe/Paris")
    assert AuditEvent.objects.filter(object_id=str(alice.pk)).exists()


def test_service_refuses_unknown_language_and_time_zone_by_field(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.set_preferences(actor=alice, language="klingon", time_zone="Mars/Olympus")
    assert set(caught.value.message_dict) == {"language", "time_zone"}
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("", "Asia/Shanghai")


def test_empty_language_means_follow_the_browser(alice: User) -> None:
    services.set_preferences(actor=alice, language="")
    alice.refresh_from_db()
    assert alice.language == ""


def test_preferences_page_saves_and_the_next_page_speaks_the_new_language(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.post(
        reverse("preferences"), {"language": "en", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("en", "America/New_York")
    page = client.get(reverse("home"), headers={"accept-language": "zh-hans"})
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()


def test_zh_hans_user_sees_chinese_and_en_user_english_whatever_the_browser(
    client: Client, make_user
) -> None:
    zh = make_user("zhang", language="zh-hans")
    en = make_user("emma", language="en")
    client.force_login(zh)
    chinese = client.get(reverse("home"), headers={"accept-language": "en"})
    assert chinese["Content-Language"] == "zh-hans"
    assert "退出登录" in chinese.content.decode()
    client.force_login(en)
    english = client.get(reverse("home"), headers={"accept-language": "zh-hans"})
    assert english["Content-Language"] == "en"
    assert "Log out" in english.content.decode()


def test_user_without_a_language_gets_the_browsers(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/", headers={"accept-language": "en"})["Content-Language"] == "en"


def test_bad_values_on_the_page_give_messages_and_keep_the_form(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.post(reverse("preferences"), {"language": "xx", "time_zone": "Nowhere/At"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"language", "time_zone"}
    assert 'aria-invalid="true"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Shanghai"


def test_preferences_page_needs_a_login(client: Client) -> None:
    assert client.get(reverse("preferences")).status_code == 302


def test_footer_language_switch_saves_the_choice_on_the_account(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "en"


def test_footer_language_switch_still_works_signed_out(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_middleware_activates_the_users_time_zone_for_the_request(alice: User) -> None:
    alice.time_zone = "Europe/Berlin"
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = alice
    UserPreferencesMiddleware(view)(request)
    assert seen["tz"] == "Europe/Berlin"
    assert timezone.get_current_timezone_name() != "Europe/Berlin"  # not left behind
