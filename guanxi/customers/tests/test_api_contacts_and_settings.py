"""Contacts of organisations, tags and custom field definitions through the API."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_b(two_teams, api):
    return (
        api(two_teams.rep_b)
        .post(
            "/api/v1/customers/",
            {"kind": "organisation", "display_name": "阿里巴巴"},
            format="json",
        )
        .json()
    )


def test_contacts_belong_to_organisations_and_follow_their_visibility(two_teams, api, org_b):
    owner = api(two_teams.rep_b)
    response = owner.post(
        "/api/v1/contacts/",
        {
            "organisation": org_b["id"],
            "name": "马经理",
            "title": "采购经理",
            "role": "purchasing",
            "mobile": "13812345678",
            "email": "Ma@Example.com",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    contact = response.json()
    assert api(two_teams.rep_a).get(f"/api/v1/contacts/{contact['id']}/").status_code == 404
    masked = api(two_teams.analyst).get(f"/api/v1/contacts/{contact['id']}/").json()
    assert masked["mobile"] == "138****5678" and masked["email"] == "M***@Example.com"
    # The organisation can be found by its contact's phone.
    found = owner.get("/api/v1/customers/", {"search": "+86 138 1234 5678"}).json()["results"]
    assert [c["id"] for c in found] == [org_b["id"]]


def test_contact_needs_an_organisation_not_a_person(two_teams, api):
    owner = api(two_teams.rep_b)
    person = owner.post("/api/v1/customers/", {"display_name": "张三"}, format="json").json()
    response = owner.post(
        "/api/v1/contacts/", {"organisation": person["id"], "name": "X"}, format="json"
    )
    assert response.status_code == 400 and "organisation" in response.json()


def test_contact_with_bad_phone_is_refused(two_teams, api, org_b):
    response = api(two_teams.rep_b).post(
        "/api/v1/contacts/",
        {"organisation": org_b["id"], "name": "X", "mobile": "abc"},
        format="json",
    )
    assert response.status_code == 400 and "mobile" in response.json()


def test_custom_fields_are_defined_by_admins_and_validated_on_customers(two_teams, api):
    admin = api(two_teams.admin)
    denied = api(two_teams.head_manager).post(
        "/api/v1/custom-fields/",
        {"key": "budget", "label": "预算", "field_type": "number"},
        format="json",
    )
    assert denied.status_code == 403
    made = admin.post(
        "/api/v1/custom-fields/",
        {"key": "budget", "label": "预算", "field_type": "number", "min_value": "0"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    admin.post(
        "/api/v1/custom-fields/",
        {"key": "channel", "label": "渠道", "field_type": "choice", "choices": ["线上", "线下"]},
        format="json",
    )
    rep = api(two_teams.rep_a)
    bad = rep.post(
        "/api/v1/customers/",
        {"display_name": "A", "custom_fields": {"budget": -5, "channel": "电话"}},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"custom_fields.budget", "custom_fields.channel"}
    good = rep.post(
        "/api/v1/customers/",
        {"display_name": "A", "custom_fields": {"budget": "1200.5", "channel": "线上"}},
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["custom_fields"] == {"budget": 1200.5, "channel": "线上"}


def test_choice_field_needs_choices(two_teams, api):
    response = api(two_teams.admin).post(
        "/api/v1/custom-fields/",
        {"key": "x", "label": "X", "field_type": "choice"},
        format="json",
    )
    assert response.status_code == 400 and "choices" in response.json()


def test_tags_listed_and_created_on_the_fly(two_teams, api):
    rep = api(two_teams.rep_a)
    rep.post("/api/v1/customers/", {"display_name": "A", "tags": ["老客户"]}, format="json")
    names = [t["name"] for t in rep.get("/api/v1/tags/").json()["results"]]
    assert names == ["老客户"]
    tag_id = rep.get("/api/v1/tags/").json()["results"][0]["id"]
    assert rep.delete(f"/api/v1/tags/{tag_id}/").status_code == 403
    assert api(two_teams.admin).delete(f"/api/v1/tags/{tag_id}/").status_code == 204


def test_values_of_a_deactivated_custom_field_survive_an_edit(two_teams, api):
    admin = api(two_teams.admin)
    field = admin.post(
        "/api/v1/custom-fields/",
        {"key": "legacy", "label": "旧编号", "field_type": "text"},
        format="json",
    ).json()
    rep = api(two_teams.rep_a)
    made = rep.post(
        "/api/v1/customers/",
        {"display_name": "A", "custom_fields": {"legacy": "X-1"}},
        format="json",
    ).json()
    admin.patch(
        f"/api/v1/custom-fields/{field['id']}/", {"active": False, "version": 1}, format="json"
    )
    # A client (or the web form) sends only the fields it knows of.
    edited = rep.patch(
        f"/api/v1/customers/{made['id']}/", {"custom_fields": {}, "version": 1}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["custom_fields"] == {"legacy": "X-1"}
    # Sending the stored value back unchanged is fine; changing it is not.
    same = rep.patch(
        f"/api/v1/customers/{made['id']}/",
        {"custom_fields": {"legacy": "X-1"}, "notes": "n", "version": edited.json()["version"]},
        format="json",
    )
    assert same.status_code == 200, same.json()
    changed = rep.patch(
        f"/api/v1/customers/{made['id']}/",
        {"custom_fields": {"legacy": "X-2"}, "version": same.json()["version"]},
        format="json",
    )
    assert changed.status_code == 400 and "custom_fields.legacy" in changed.json()


@pytest.mark.parametrize("value", ["1e5000", "1e-5000", "0.1234567", "1234567890123456"])
def test_custom_numbers_that_cannot_be_kept_exactly_are_refused(two_teams, api, value):
    api(two_teams.admin).post(
        "/api/v1/custom-fields/",
        {"key": "budget", "label": "预算", "field_type": "number"},
        format="json",
    )
    response = api(two_teams.rep_a).post(
        "/api/v1/customers/",
        {"display_name": "A", "custom_fields": {"budget": value}},
        format="json",
    )
    assert response.status_code == 400 and "custom_fields.budget" in response.json()
