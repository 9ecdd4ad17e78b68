"""Self-service links and change requests in the API: the same services, policies and answers as
the 360° page and the change requests page (404 outside the user's scope, 403 without the right
to change the customer, 409 on a stale version, field messages for bad input, never a 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.quality import services
from guanxi.quality.models import ChangeRequest, RequestStatus, SelfServiceLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(two_teams, customer_of):
    return customer_of(
        two_teams.rep_a,
        display_name="王芳",
        birthday=dt.date(1990, 5, 1),
        contact_points=[
            {"kind": "mobile", "value": "13800138000"},
            {"kind": "email", "value": "wang@example.com"},
        ],
        addresses=[{"province": "浙江", "city": "杭州", "street": "文三路 1 号"}],
    )


def links_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/self-service-links/"


def revoke_url(link) -> str:
    return f"/api/v1/customers/{link.customer_id}/self-service-links/{link.pk}/revoke/"


def proposal(user, customer, **proposed) -> ChangeRequest:
    link = services.create_link(actor=user, customer=customer)
    return services.submit_request(token=services.token_for(link), proposed=proposed)


# --- links ------------------------------------------------------------------------------------


def test_owner_issues_a_link_and_gets_its_url_and_expiry(two_teams, api, wang):
    response = api(two_teams.rep_a).post(links_url(wang), {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    link = SelfServiceLink.objects.get()
    assert body["id"] == link.pk and body["customer"] == wang.pk and body["state"] == "live"
    public = django_settings.PUBLIC_BASE_URL.rstrip("/")
    assert body["url"].startswith(public + "/self-service/")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=13) < expires - timezone.now() <= dt.timedelta(days=14)
    # the URL is the link's: it opens the customer's page without a login
    from django.test import Client

    assert Client().get(body["url"].removeprefix(public)).status_code == 200
    assert AuditEvent.objects.filter(object_type="quality.selfservicelink").exists()


def test_issue_and_send_by_email(two_teams, api, wang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(two_teams.rep_a).post(links_url(wang), {"send": True}, format="json")
    assert response.status_code == 201
    assert response.json()["sent_to"] == "wang@example.com"
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]


def test_sending_to_a_customer_without_email_is_a_field_error(two_teams, api, customer_of):
    customer = customer_of(two_teams.rep_a, display_name="李雷")
    response = api(two_teams.rep_a).post(
        links_url(customer), {"send": True}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"send": ["This customer has no e-mail address."]}
    zh = api(two_teams.rep_a).post(
        links_url(customer), {"send": True}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.json() == {"send": ["该客户没有邮箱地址。"]}
    assert not SelfServiceLink.objects.exists()


def test_issue_refuses_bad_bodies_without_a_500(two_teams, api, wang):
    client = api(two_teams.rep_a)
    for body in ([], "x", {"send": "perhaps"}, {"send": [1]}, {"nope": 1}, {"send": None}):
        response = client.post(links_url(wang), body, format="json")
        assert response.status_code == 400, (body, response.content)
    bad = client.post(links_url(wang), b"\xff\xfe{", content_type="application/json")
    assert bad.status_code == 400
    assert not SelfServiceLink.objects.exists()


def test_links_of_a_customer_outside_the_scope_are_not_found(two_teams, api, wang):
    link = services.create_link(actor=two_teams.rep_a, customer=wang)
    rep_b = api(two_teams.rep_b)
    assert rep_b.get(links_url(wang)).status_code == 404
    assert rep_b.post(links_url(wang), {}, format="json").status_code == 404
    assert rep_b.post(revoke_url(link)).status_code == 404
    for pk in (0, 99999999, 2**63 + 5):
        assert rep_b.get(f"/api/v1/customers/{pk}/self-service-links/").status_code == 404
    assert SelfServiceLink.objects.count() == 1
    assert SelfServiceLink.objects.get().revoked_at is None


def test_a_user_who_may_not_change_the_customer_may_not_manage_its_links(two_teams, api, wang):
    """The analyst sees every customer but changes none: 403, as on the 360° page."""
    link = services.create_link(actor=two_teams.rep_a, customer=wang)
    analyst = api(two_teams.analyst)
    assert analyst.get(links_url(wang)).status_code == 403
    assert analyst.post(links_url(wang), {}, format="json").status_code == 403
    assert analyst.post(revoke_url(link)).status_code == 403
    assert SelfServiceLink.objects.count() == 1
    assert api().get(links_url(wang)).status_code in (401, 403)


def test_list_and_revoke_links(two_teams, api, wang):
    old = services.create_link(actor=two_teams.rep_a, customer=wang)
    SelfServiceLink.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    used = services.create_link(actor=two_teams.rep_a, customer=wang)
    services.submit_request(token=services.token_for(used), proposed={"city": "宁波"})
    live = services.create_link(actor=two_teams.rep_a, customer=wang)
    client = api(two_teams.manager_a)  # the team's manager manages them too
    listed = client.get(links_url(wang)).json()["results"]
    assert [(row["id"], row["state"]) for row in listed] == [
        (live.pk, "live"),
        (used.pk, "used"),
        (old.pk, "expired"),
    ]
    assert all("url" not in row for row in listed)  # the URL is shown once, when it is made
    response = client.post(revoke_url(live))
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert client.post(revoke_url(live)).status_code == 200  # again: nothing more happens
    assert AuditEvent.objects.filter(object_id=str(live.pk), action="update").count() == 1
    # another customer's link under this customer's address is not found
    other = Customer.objects.create(display_name="Other", owner=two_teams.rep_a)
    assert (
        client.post(f"/api/v1/customers/{other.pk}/self-service-links/{live.pk}/revoke/")
    ).status_code == 404
    assert client.get(revoke_url(live)).status_code == 405
    for pk in (0, 2**63, 2**70):
        assert client.post(f"{links_url(wang)}{pk}/revoke/").status_code == 404


def test_sent_to_is_masked_for_roles_that_see_contact_details_masked(two_teams, api, wang):
    from guanxi.accounts.models import Role

    services.create_link(actor=two_teams.rep_a, customer=wang, send=True)
    Role.objects.filter(code="sales").update(can_view_contact_details=False)
    two_teams.rep_a.refresh_from_db()
    listed = api(two_teams.rep_a).get(links_url(wang)).json()["results"]
    assert listed[0]["sent_to"] == "w***@example.com"


# --- change requests --------------------------------------------------------------------------


def test_pending_requests_are_listed_for_the_customers_the_user_sees(two_teams, api, wang):
    theirs = Customer.objects.create(
        display_name="Beta", owner=two_teams.rep_b, team=two_teams.team_b
    )
    mine = proposal(two_teams.rep_a, wang, city="宁波", mobile="13900139000")
    other = proposal(two_teams.rep_b, theirs, display_name="Beta Ltd")
    rows = api(two_teams.rep_a).get("/api/v1/change-requests/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    row = rows[0]
    assert row["status"] == "pending" and row["customer"] == wang.pk and row["may_decide"]
    changes = {c["field"]: c for c in row["changes"]}
    assert set(changes) == {"city", "mobile"}
    assert (changes["city"]["current"], changes["city"]["proposed"]) == ("杭州", "宁波")
    assert changes["mobile"]["proposed"] == "13900139000"
    assert api(two_teams.rep_a).get(f"/api/v1/change-requests/{other.pk}/").status_code == 404
    everyone = api(two_teams.admin).get("/api/v1/change-requests/").json()["results"]
    assert {r["id"] for r in everyone} == {mine.pk, other.pk}
    only = api(two_teams.admin).get(f"/api/v1/change-requests/?customer={wang.pk}").json()
    assert [r["id"] for r in only["results"]] == [mine.pk]


def test_analyst_sees_requests_masked_and_may_not_decide(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, mobile="13900139000")
    analyst = api(two_teams.analyst)
    row = analyst.get(f"/api/v1/change-requests/{request.pk}/").json()
    assert row["may_decide"] is False
    change = row["changes"][0]
    assert change["field"] == "mobile"
    assert "****" in change["current"] and "****" in change["proposed"]
    assert "13900139000" not in str(row)
    for verb in ("accept", "reject"):
        response = analyst.post(
            f"/api/v1/change-requests/{request.pk}/{verb}/",
            {"version": 1, "reason": "no"},
            format="json",
        )
        assert response.status_code == 403, verb
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_another_team_may_not_decide(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, city="宁波")
    rep_b = api(two_teams.rep_b)
    for verb in ("accept", "reject"):
        response = rep_b.post(
            f"/api/v1/change-requests/{request.pk}/{verb}/",
            {"version": 1, "reason": "no"},
            format="json",
        )
        assert response.status_code == 404, verb
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_accept_applies_the_changes_and_a_stale_version_conflicts(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, city="宁波", mobile="13900139000")
    client = api(two_teams.rep_a)
    url = f"/api/v1/change-requests/{request.pk}/accept/"
    missing = client.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400 and "version" in missing.json()
    stale = client.post(url, {"version": 7}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    response = client.post(url, {"version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted" and response.json()["version"] == 2
    wang.refresh_from_db()
    assert wang.addresses.get().city == "宁波" and wang.verified_at is not None
    assert (
        wang.contact_points.filter(kind="mobile", is_primary=True)
        .get()
        .value.endswith("13900139000")
    )
    # decided already: a second decision on the version read then is a conflict
    again = client.post(url, {"version": 1}, format="json")
    assert again.status_code == 409
    again = client.post(url, {"version": 2}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This request has already been decided."]}
    # gone from the pending list, listed with ?status=accepted
    assert client.get("/api/v1/change-requests/").json()["results"] == []
    done = client.get("/api/v1/change-requests/?status=accepted").json()["results"]
    assert [r["id"] for r in done] == [request.pk]
    assert client.get("/api/v1/change-requests/?status=all").json()["results"][0]["id"] == (
        request.pk
    )


def test_reject_needs_a_reason_in_the_users_language(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, city="宁波")
    client = api(two_teams.rep_a)
    url = f"/api/v1/change-requests/{request.pk}/reject/"
    for body in ({"version": 1}, {"version": 1, "reason": "   "}):
        response = client.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json() == {"reason": ["Say why the changes are rejected."]}
    zh = client.post(url, {"version": 1}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and "Say why" not in zh.json()["reason"][0]
    too_long = client.post(url, {"version": 1, "reason": "x" * 501}, format="json")
    assert too_long.status_code == 400 and "reason" in too_long.json()
    response = client.post(url, {"version": 1, "reason": "地址不对"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["reason"] == "地址不对"
    wang.refresh_from_db()
    assert wang.addresses.get().city == "杭州"


def test_change_requests_refuse_bad_input_without_a_500(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, city="宁波")
    client = api(two_teams.rep_a)
    for query in (
        "status=nope",
        "customer=abc",
        "customer=-1",
        "customer=²",
        "customer=" + "9" * 40,
    ):
        response = client.get(f"/api/v1/change-requests/?{query}")
        assert response.status_code == 400, (query, response.content)
    for pk in ("abc", "0", "9" * 30):
        assert client.get(f"/api/v1/change-requests/{pk}/").status_code == 404
    url = f"/api/v1/change-requests/{request.pk}/accept/"
    for body in (
        [],
        "x",
        {"version": "one"},
        {"version": True},
        {"version": 2**70},
        {"version": -1},
        {"version": 1, "extra": 1},
        {"version": 1, "reason": ["x"]},
    ):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        reject = client.post(url.replace("accept", "reject"), body, format="json")
        assert reject.status_code == 400, (body, reject.content)
    assert client.get(url).status_code == 405
    assert client.delete(f"/api/v1/change-requests/{request.pk}/").status_code == 405
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_list_reads_a_bounded_number_of_queries(
    two_teams, api, customer_of, django_assert_max_num_queries
):
    for i in range(6):
        customer = customer_of(
            two_teams.rep_a,
            display_name=f"客户{i}",
            contact_points=[{"kind": "mobile", "value": f"1380013800{i}"}],
        )
        proposal(two_teams.rep_a, customer, display_name=f"新客户{i}")
    client = api(two_teams.rep_a)
    with django_assert_max_num_queries(10):
        rows = client.get("/api/v1/change-requests/").json()["results"]
    assert len(rows) == 6


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=20)
    | st.sampled_from(["", "1", "x" * 600]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def test_any_json_body_gets_a_4xx_or_success_never_a_500(two_teams, api, wang):
    request = proposal(two_teams.rep_a, wang, city="宁波")
    link = services.create_link(actor=two_teams.rep_a, customer=wang)
    client = api(two_teams.rep_a)
    urls = [
        links_url(wang),
        revoke_url(link),
        f"/api/v1/change-requests/{request.pk}/accept/",
        f"/api/v1/change-requests/{request.pk}/reject/",
    ]
    keys = st.sampled_from(["send", "version", "reason"]) | st.text(max_size=8)

    @settings(
        max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(
        url=st.sampled_from(urls), body=st.dictionaries(keys, json_values, max_size=3) | json_values
    )
    def check(url, body):
        response = client.post(url, body, format="json")
        assert response.status_code < 500, (url, body, response.content[:300])

    check()


def test_the_schema_describes_links_and_change_requests(two_teams, api):
    schema = api(two_teams.rep_a).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/customers/{id}/self-service-links/"]) == {"get", "post"}
    assert "/api/v1/customers/{id}/self-service-links/{link_id}/revoke/" in paths
    for path in ("", "{id}/", "{id}/accept/", "{id}/reject/"):
        assert f"/api/v1/change-requests/{path}" in paths


def test_links_for_customers_start_with_the_public_address(
    two_teams, api, web, wang, settings, django_capture_on_commit_callbacks
):
    """Staff may reach the server by an intranet name; the customer opens the link from the
    internet: every link sent to customers starts with PUBLIC_BASE_URL (as portal and survey
    links do), whichever host the request that made it came to."""
    from django.urls import reverse

    settings.PUBLIC_BASE_URL = "https://crm.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(two_teams.rep_a).post(links_url(wang), {"send": True}, format="json")
    assert response.json()["url"].startswith("https://crm.example.com/self-service/")
    assert "https://crm.example.com/self-service/" in mail.outbox[0].body
    page = web(two_teams.rep_a).post(reverse("quality:link_create", args=[wang.pk]))
    assert page.context["url"].startswith("https://crm.example.com/self-service/")


def test_list_of_shared_customers_reads_a_bounded_number_of_queries(
    two_teams, api, customer_of, django_assert_max_num_queries
):
    """Whether the user may decide is read for the page at once, not once per request: a
    user who sees the customers through shares (some with the right to edit) too."""
    from guanxi.customers.services import share_customer

    for i in range(12):
        customer = customer_of(two_teams.rep_a, display_name=f"客户{i}")
        share_customer(
            actor=two_teams.rep_a, customer=customer, user=two_teams.rep_b, can_edit=i % 2 == 0
        )
        proposal(two_teams.rep_a, customer, display_name=f"新客户{i}")
    client = api(two_teams.rep_b)
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/change-requests/").json()["results"]
    assert sorted(r["may_decide"] for r in rows) == [False] * 6 + [True] * 6
