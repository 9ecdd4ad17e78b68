"""Validation at every entry point: each rule with a good and a bad value, through the API and
through the customer web form (both call the customers services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer

from .conftest import GOOD_RIC, GOOD_USCC, form_errors, post_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

# (case, API payload, form overrides, error key in the API, error key on the form)
BAD = [
    (
        "phone",
        {"contact_points": [{"kind": "mobile", "value": "12345"}]},
        {"contact_points-0-value": "12345"},
        "contact_points",
        "contact_points.0.value",
    ),
    (
        "landline",
        {"contact_points": [{"kind": "phone", "value": "010-1234"}]},
        {"contact_points-0-kind": "phone", "contact_points-0-value": "010-1234"},
        "contact_points",
        "contact_points.0.value",
    ),
    (
        "email",
        {"contact_points": [{"kind": "email", "value": "wang@@example"}]},
        {"contact_points-0-kind": "email", "contact_points-0-value": "wang@@example"},
        "contact_points",
        "contact_points.0.value",
    ),
    (
        "credit_code",
        {"kind": "organisation", "credit_code": "91110108MA01A0B1CX"},
        {"kind": "organisation", "credit_code": "91110108MA01A0B1CX"},
        "credit_code",
        "credit_code",
    ),
    (
        "cn_postcode",
        {"addresses": [{"country": "CN", "city": "杭州", "postcode": "31000"}]},
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "CN",
            "addresses-0-city": "杭州",
            "addresses-0-postcode": "31000",
        },
        "addresses",
        "addresses.0.postcode",
    ),
    (
        "us_postcode",
        {"addresses": [{"country": "US", "city": "Boston", "postcode": "ABCDE"}]},
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "US",
            "addresses-0-city": "Boston",
            "addresses-0-postcode": "ABCDE",
        },
        "addresses",
        "addresses.0.postcode",
    ),
    (
        "other_postcode",
        {"addresses": [{"country": "TH", "city": "Bangkok", "postcode": "1@#"}]},
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "TH",
            "addresses-0-city": "Bangkok",
            "addresses-0-postcode": "1@#",
        },
        "addresses",
        "addresses.0.postcode",
    ),
    (
        "country",
        {"addresses": [{"country": "ZZ", "city": "杭州"}]},
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "ZZ",
            "addresses-0-city": "杭州",
        },
        "addresses",
        "addresses.0.country",
    ),
    ("birthday_future", {"birthday": TOMORROW}, {"birthday": TOMORROW}, "birthday", "birthday"),
    (
        "birthday_1899",
        {"birthday": "1899-12-31"},
        {"birthday": "1899-12-31"},
        "birthday",
        "birthday",
    ),
    (
        "ric_check_digit",
        {"identity_code": "110105194912310021"},
        {"identity_code": "110105194912310021"},
        "identity_code",
        "identity_code",
    ),
    (
        "identity_other",
        {"identity_code": "A1"},
        {"identity_code": "A1"},
        "identity_code",
        "identity_code",
    ),
    (
        "identity_chars",
        {"identity_code": "E1234567!"},
        {"identity_code": "E1234567!"},
        "identity_code",
        "identity_code",
    ),
]

GOOD = [
    ("mobile", {"contact_points": [{"kind": "mobile", "value": "+86 138 0013 8000"}]}, {}),
    (
        "landline_ext",
        {"contact_points": [{"kind": "phone", "value": "010-12345678 转 123"}]},
        {"contact_points-0-kind": "phone", "contact_points-0-value": "010-12345678 转 123"},
    ),
    (
        "email",
        {"contact_points": [{"kind": "email", "value": "Wang@Example.COM"}]},
        {"contact_points-0-kind": "email", "contact_points-0-value": "Wang@Example.COM"},
    ),
    (
        "credit_code",
        {"kind": "organisation", "credit_code": GOOD_USCC},
        {"kind": "organisation", "credit_code": GOOD_USCC},
    ),
    (
        "postcodes",
        {
            "addresses": [
                {"country": "CN", "city": "杭州", "postcode": "310000"},
                {"country": "GB", "city": "London", "postcode": "SW1A 1AA"},
                {"country": "TH", "city": "Bangkok", "postcode": "10110"},
            ]
        },
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "US",
            "addresses-0-city": "Boston",
            "addresses-0-postcode": "02134-1234",
        },
    ),
    ("birthday", {"birthday": "1990-05-01"}, {"birthday": "1990-05-01"}),
    ("ric", {"identity_code": GOOD_RIC.lower()}, {"identity_code": GOOD_RIC.lower()}),
    ("passport", {"identity_code": "E12345678"}, {"identity_code": "E12345678"}),
]


@pytest.mark.parametrize(("case", "payload", "_form", "key", "_fkey"), BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_refused_by_the_api_with_a_field_message(
    two_teams, api, case, payload, _form, key, _fkey
):
    response = api(two_teams.rep_a).post(
        URL, {"display_name": "王芳", "kind": "person"} | payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert _fkey in response.json(), response.json()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("case", "_payload", "form", "_key", "key"), BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_refused_by_the_form_beside_the_field(
    two_teams, web, case, _payload, form, _key, key
):
    response = post_form(web(two_teams.rep_a), **form)
    assert response.status_code == 400
    errors = form_errors(response)
    assert key in errors, errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("case", "payload", "_form"), GOOD, ids=[g[0] for g in GOOD])
def test_good_values_pass_the_api(two_teams, api, case, payload, _form):
    response = api(two_teams.rep_a).post(
        URL, {"display_name": "王芳", "kind": "person"} | payload, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("case", "_payload", "form"), GOOD, ids=[g[0] for g in GOOD])
def test_good_values_pass_the_form(two_teams, web, case, _payload, form):
    response = post_form(web(two_teams.rep_a), **form)
    assert response.status_code == 302, form_errors(response)


def test_values_are_stored_normalised(two_teams, api):
    response = api(two_teams.rep_a).post(
        URL,
        {
            "display_name": "王芳",
            "identity_code": GOOD_RIC.lower(),
            "contact_points": [{"kind": "phone", "value": "010-12345678 转 123"}],
            "addresses": [{"country": "gb", "postcode": "sw1a 1aa"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get()
    assert customer.identity_code == GOOD_RIC
    assert customer.contact_points.get().normalized == "+861012345678;ext=123"
    assert customer.addresses.get().postcode == "SW1A 1AA"


# --- referrer and consent -----------------------------------------------------------------------


def test_referrer_must_be_visible_and_not_the_customer_itself(two_teams, api, customer_of):
    mine = customer_of(two_teams.rep_a, display_name="老客户")
    theirs = customer_of(two_teams.rep_b, display_name="别人的客户")
    client = api(two_teams.rep_a)
    ok = client.post(URL, {"display_name": "新客户", "referred_by": mine.pk}, format="json")
    assert ok.status_code == 201 and ok.json()["referred_by"] == mine.pk
    hidden = client.post(URL, {"display_name": "新客户2", "referred_by": theirs.pk}, format="json")
    assert hidden.status_code == 400 and "referred_by" in hidden.json()
    own = client.patch(
        f"{URL}{mine.pk}/", {"referred_by": mine.pk, "version": mine.version}, format="json"
    )
    assert own.status_code == 400 and "referred_by" in own.json()


def test_referrer_through_the_form(two_teams, web, customer_of):
    mine = customer_of(two_teams.rep_a, display_name="老客户")
    theirs = customer_of(two_teams.rep_b, display_name="别人的客户")
    c = web(two_teams.rep_a)
    bad = post_form(c, referred_by=str(theirs.pk))
    assert bad.status_code == 400 and "referred_by" in form_errors(bad)
    good = post_form(c, display_name="新客户", referred_by=str(mine.pk))
    assert good.status_code == 302
    assert Customer.objects.get(display_name="新客户").referred_by == mine


def test_setting_marketing_consent_stamps_the_time(two_teams, api):
    client = api(two_teams.rep_a)
    created = client.post(URL, {"display_name": "王芳"}, format="json").json()
    assert created["marketing_consent"] is False and created["marketing_consent_at"] is None
    changed = client.patch(
        f"{URL}{created['id']}/",
        {"marketing_consent": True, "version": created["version"]},
        format="json",
    ).json()
    assert changed["marketing_consent"] is True and changed["marketing_consent_at"]
    # Read-only fields cannot be written.
    stamped = client.patch(
        f"{URL}{created['id']}/",
        {"completeness": 100, "verified_at": "2020-01-01T00:00:00Z", "version": changed["version"]},
        format="json",
    )
    assert stamped.status_code in (200, 400)
    customer = Customer.objects.get(pk=created["id"])
    assert customer.verified_at is None and customer.completeness != 100


def test_marketing_consent_through_the_form(two_teams, web):
    response = post_form(web(two_teams.rep_a), marketing_consent="on")
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.marketing_consent and customer.marketing_consent_at is not None


# --- identity numbers are personal data ---------------------------------------------------------


def test_identity_code_is_masked_for_roles_without_contact_details(
    two_teams, api, web, customer_of
):
    customer = customer_of(two_teams.rep_a, identity_code=GOOD_RIC)
    assert api(two_teams.rep_a).get(f"{URL}{customer.pk}/").json()["identity_code"] == GOOD_RIC
    masked = api(two_teams.analyst).get(f"{URL}{customer.pk}/").json()["identity_code"]
    assert masked != GOOD_RIC and "***" in masked
    page = web(two_teams.analyst).get(reverse("customers:detail", args=[customer.pk]))
    assert page.status_code == 200
    assert GOOD_RIC not in page.content.decode()


def test_masked_role_cannot_overwrite_the_identity_code(two_teams, api, customer_of, make_user):
    customer = customer_of(two_teams.rep_a, identity_code=GOOD_RIC)
    # A sales role that may not see contact details (the analyst may not change customers).
    from guanxi.accounts.models import Role

    role = Role.objects.get(code="sales")
    role.can_view_contact_details = False
    role.save()
    client = api(type(two_teams.rep_a).objects.get(pk=two_teams.rep_a.pk))
    data = client.get(f"{URL}{customer.pk}/").json()
    assert data["identity_code"] != GOOD_RIC  # the role is masked now
    # Sending the masked value back changes nothing; sending another one is refused.
    same = client.patch(
        f"{URL}{customer.pk}/",
        {"identity_code": data["identity_code"], "occupation": "教师", "version": data["version"]},
        format="json",
    )
    assert same.status_code == 200, same.content
    other = client.patch(
        f"{URL}{customer.pk}/",
        {"identity_code": "E12345678", "version": same.json()["version"]},
        format="json",
    )
    assert other.status_code == 400 and "identity_code" in other.json()
    customer.refresh_from_db()
    assert customer.identity_code == GOOD_RIC


def test_masked_role_does_not_see_the_identity_field_on_the_form(two_teams, web, customer_of):
    from guanxi.accounts.models import Role

    customer = customer_of(two_teams.rep_a, identity_code=GOOD_RIC)
    role = Role.objects.get(code="sales")
    role.can_view_contact_details = False
    role.save()
    page = web(type(two_teams.rep_a).objects.get(pk=two_teams.rep_a.pk)).get(
        reverse("customers:edit", args=[customer.pk])
    )
    assert page.status_code == 200 and GOOD_RIC not in page.content.decode()


def test_the_360_page_names_the_referrer_only_to_who_may_see_it(two_teams, web, customer_of):
    referrer = customer_of(two_teams.rep_a, display_name="老朋友")
    customer = customer_of(two_teams.rep_a, display_name="新朋友", referred_by=referrer)
    customer_services.share_customer(actor=two_teams.rep_a, customer=customer, user=two_teams.rep_b)
    shown = web(two_teams.rep_a).get(reverse("customers:detail", args=[customer.pk]))
    assert "老朋友" in shown.content.decode()
    hidden = web(two_teams.rep_b).get(reverse("customers:detail", args=[customer.pk]))
    assert hidden.status_code == 200 and "老朋友" not in hidden.content.decode()


@pytest.mark.django_db
def test_the_api_shows_a_referrer_number_only_to_who_may_see_the_referrer(two_teams, api):
    from guanxi.customers.models import Customer

    referrer = Customer.objects.create(display_name="介绍人", owner=two_teams.rep_b)
    referred = Customer.objects.create(
        display_name="新客户", owner=two_teams.rep_a, referred_by=referrer
    )
    mine = api(two_teams.rep_a).get(f"/api/v1/customers/{referred.pk}/").json()
    assert mine["referred_by"] is None  # rep_a may not see rep_b's customer
    listed = api(two_teams.rep_a).get("/api/v1/customers/").json()["results"]
    assert [c["referred_by"] for c in listed if c["id"] == referred.pk] == [None]
    boss = api(two_teams.admin).get(f"/api/v1/customers/{referred.pk}/").json()
    assert boss["referred_by"] == referrer.pk
