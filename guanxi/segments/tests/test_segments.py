"""Saved segments: permissions, visibility (two users), live count, API, builder, the customer
list and customers API `segment` filter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.segments import selectors, services
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ACTIVE = {
    "type": "group",
    "op": "and",
    "rules": [{"type": "condition", "field": "status", "operator": "eq", "value": "active"}],
}


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.a1 = Customer.objects.create(display_name="A-one", owner=w.rep_a, team=w.team_a)
    w.a2 = Customer.objects.create(
        display_name="A-two", owner=w.rep_a, team=w.team_a, status="dormant"
    )
    w.b1 = Customer.objects.create(display_name="B-one", owner=w.rep_b, team=w.team_b)
    w.seg = services.create_segment(
        actor=w.rep_a, data={"name": "Active", "rules": ACTIVE, "visibility": "everyone"}
    )
    return w


def test_members_are_only_customers_the_user_may_see(world):
    assert list(selectors.members(user=world.rep_a, segment=world.seg)) == [world.a1]
    # rep_b uses the same shared rule and sees only their own customers.
    assert list(selectors.members(user=world.rep_b, segment=world.seg)) == [world.b1]
    assert set(selectors.members(user=world.admin, segment=world.seg)) == {world.a1, world.b1}
    assert set(selectors.members(user=world.manager_a, segment=world.seg)) == {world.a1}


def test_private_segments_are_invisible_to_others(world):
    mine = services.create_segment(actor=world.rep_a, data={"name": "Mine", "rules": ACTIVE})
    assert selectors.segment_list(user=world.rep_a).filter(pk=mine.pk).exists()
    assert not selectors.segment_list(user=world.rep_b).filter(pk=mine.pk).exists()
    team = services.create_segment(
        actor=world.rep_a, data={"name": "Team", "rules": ACTIVE, "visibility": "team"}
    )
    assert selectors.segment_list(user=world.manager_a).filter(pk=team.pk).exists()
    assert not selectors.segment_list(user=world.rep_b).filter(pk=team.pk).exists()


def test_only_the_owner_changes_a_segment_and_versions_are_checked(world):
    with pytest.raises(PermissionDeniedError):
        services.update_segment(actor=world.rep_b, segment=world.seg, data={"name": "X"}, version=1)
    seg = services.update_segment(
        actor=world.rep_a, segment=world.seg, data={"name": "Renamed"}, version=1
    )
    assert seg.version == 2
    with pytest.raises(ConflictError):
        services.update_segment(actor=world.rep_a, segment=seg, data={"name": "Y"}, version=1)


def test_ready_made_segments_exist_and_are_copied_not_edited(world):
    builtin = Segment.objects.filter(builtin=True)
    kinds = set(builtin.values_list("kind", flat=True))
    assert kinds == {"demographic", "behavioural", "psychographic"}
    assert builtin.filter(rules__icontains="score.rfm_segment").count() == 10
    one = builtin.get(name__contains="One-time buyers")
    # Every ready-made segment validates and counts.
    for segment in builtin:
        selectors.count(selectors.members(user=world.admin, segment=segment))
    assert selectors.segment_list(user=world.rep_b).filter(pk=one.pk).exists()
    with pytest.raises(PermissionDeniedError):
        services.update_segment(actor=world.rep_a, segment=one, data={"name": "x"}, version=1)
    copy = services.copy_segment(actor=world.rep_a, segment=one)
    assert copy.owner == world.rep_a and not copy.builtin and copy.rules == one.rules


def test_count_is_bounded(world, settings):
    for i in range(5):
        Customer.objects.create(display_name=f"x{i}", owner=world.rep_a)
    qs = selectors.members(user=world.rep_a, segment=world.seg)
    assert selectors.count(qs, limit=3) == selectors.Count(3, False)
    assert selectors.count(qs, limit=100) == selectors.Count(6, True)


def test_a_count_that_takes_too_long_gives_up(world):
    for i in range(300):
        Customer.objects.create(display_name=f"x{i}", owner=world.rep_a, region=f"r{i}")
    rules = {"rules": [{"field": "region", "operator": "contains", "value": "none-such"}]}
    qs = selectors.members_of_rules(user=world.rep_a, rules=rules)
    assert selectors.count(qs, budget_ms=-1000) == selectors.Count(0, False, True)
    assert selectors.count(qs, budget_ms=5000) == selectors.Count(0, True)
    # The connection still works afterwards.
    assert Customer.objects.filter(owner=world.rep_a).count() == 302


def test_api_crud_members_count(world, api):
    client = api(world.rep_a)
    url = reverse("segment-list")
    bad = client.post(
        url,
        {"name": "Bad", "rules": {"rules": [{"field": "status", "operator": "gt", "value": 1}]}},
        format="json",
    )
    assert bad.status_code == 400
    assert "rules.0.operator" in bad.json()
    # A NUL character in any text of a JSON body is a 400, never a database error.
    nul = client.post(
        url,
        {"name": "N", "rules": {"rules": [{"field": "display_name", "operator": "contains",
                                           "value": "a\u0000b"}]}},
        format="json",
    )  # fmt: skip
    assert nul.status_code == 400 and "NUL" in str(nul.json())
    made = client.post(url, {"name": "Dormant", "rules": ACTIVE}, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    members = client.get(reverse("segment-members", args=[world.seg.pk]))
    assert [r["display_name"] for r in members.json()["results"]] == ["A-one"]
    assert client.get(reverse("segment-count", args=[world.seg.pk])).json()["count"] == 1
    assert api(world.admin).get(reverse("segment-count", args=[world.seg.pk])).json() == {
        "count": 2,
        "exact": True,
        "limit": 10000,
        "timed_out": False,
    }
    # rep_b cannot see rep_a's private segment at all.
    assert api(world.rep_b).get(reverse("segment-detail", args=[pk])).status_code == 404
    assert api(world.rep_b).get(reverse("segment-members", args=[pk])).status_code == 404
    stale = client.patch(
        reverse("segment-detail", args=[pk]), {"name": "N", "version": 9}, format="json"
    )
    assert stale.status_code == 409
    preview = client.post(reverse("segment-preview"), {"rules": ACTIVE}, format="json")
    assert preview.json()["count"] == 1


def test_api_service_role_cannot_create(world, api, make_user):
    service = make_user("svc", "service", world.team_a)
    resp = api(service).post(reverse("segment-list"), {"name": "x", "rules": {}}, format="json")
    assert resp.status_code == 403


def test_members_query_count(world, api, django_assert_max_num_queries):
    for i in range(30):
        Customer.objects.create(display_name=f"m{i}", owner=world.rep_a)
    client = api(world.rep_a)
    with django_assert_max_num_queries(8):
        resp = client.get(reverse("segment-members", args=[world.seg.pk]))
    assert len(resp.json()["results"]) == 25


def test_customer_api_and_list_filter_by_segment(world, api, client):
    resp = api(world.rep_a).get(reverse("customer-list"), {"segment": world.seg.pk})
    assert [r["display_name"] for r in resp.json()["results"]] == ["A-one"]
    assert api(world.admin).get(reverse("customer-list"), {"segment": world.seg.pk}).json()[
        "results"
    ][0]["display_name"] in ("A-one", "B-one")
    mine = services.create_segment(actor=world.rep_a, data={"name": "Mine", "rules": ACTIVE})
    refused = api(world.rep_b).get(reverse("customer-list"), {"segment": mine.pk})
    assert refused.status_code == 400 and "segment" in refused.json()
    client.force_login(world.rep_a)
    body = client.get(reverse("customers:list"), {"segment": world.seg.pk}, **EN).content.decode()
    assert "A-one" in body and "A-two" not in body and "B-one" not in body


def test_web_pages(world, client):
    client.force_login(world.rep_a)
    listing = client.get(reverse("segments:list"), **EN)
    assert listing.status_code == 200 and "Active" in listing.content.decode()
    count_url = reverse("segments:count", args=[world.seg.pk])
    assert count_url in listing.content.decode()
    assert client.get(count_url).content.decode().strip() == "1"
    detail = client.get(reverse("segments:detail", args=[world.seg.pk]), **EN).content.decode()
    assert "A-one" in detail and "B-one" not in detail
    mine = services.create_segment(actor=world.rep_a, data={"name": "Mine", "rules": ACTIVE})
    client.force_login(world.rep_b)
    assert client.get(reverse("segments:detail", args=[mine.pk])).status_code == 404
    assert client.get(reverse("segments:count", args=[mine.pk])).status_code == 404
    assert client.get(count_url).content.decode().strip() == "1"  # rep_b's own B-one
    assert client.get(reverse("segments:edit", args=[world.seg.pk])).status_code == 403


def test_list_query_count(world, client, django_assert_max_num_queries):
    for i in range(10):
        services.create_segment(actor=world.rep_a, data={"name": f"S{i}", "rules": ACTIVE})
    client.force_login(world.rep_a)
    with django_assert_max_num_queries(12):
        client.get(reverse("segments:list"))


def _form(**extra):
    data = {
        "name": "Built",
        "kind": "custom",
        "visibility": "private",
        "r:t": "group",
        "r:op": "and",
        "r.0:t": "condition",
        "r.0:f": "status",
        "r.0:o": "eq",
        "r.0:v": "active",
    }
    data.update(extra)
    return data


def test_builder_counts_live_and_adds_rows(world, client):
    client.force_login(world.rep_a)
    resp = client.post(reverse("segments:builder"), _form(), HTTP_HX_REQUEST="true", **EN)
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="live-count">1<' in body.replace("\n", "").replace(" ", "")
    added = client.post(
        reverse("segments:builder"), _form(do="add_group:r"), HTTP_HX_REQUEST="true", **EN
    ).content.decode()
    assert 'name="r.1:t" value="group"' in added and 'name="r.1.0:f"' in added
    bad = client.post(
        reverse("segments:builder"),
        _form(**{"r.0:f": "order_count", "r.0:o": "gte", "r.0:v": "x"}),
        **EN,
    ).content.decode()
    assert "Enter a whole number." in bad


def test_builder_saves_and_reports_errors(world, client):
    client.force_login(world.rep_a)
    resp = client.post(reverse("segments:create"), _form(), **EN)
    assert resp.status_code == 302
    seg = Segment.objects.get(name="Built")
    assert seg.rules["rules"][0] == {
        "type": "condition",
        "field": "status",
        "operator": "eq",
        "value": "active",
    }
    bad = client.post(reverse("segments:create"), _form(name="", **{"r.0:v": "nope"}), **EN)
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "This field is required." in text and "Choose one of the offered values." in text
    edit = client.post(
        reverse("segments:edit", args=[seg.pk]), _form(name="New", version="1"), **EN
    )
    assert edit.status_code == 302
    stale = client.post(
        reverse("segments:edit", args=[seg.pk]), _form(name="Newer", version="1"), **EN
    )
    assert stale.status_code == 409


def test_builder_queries_are_few(world, client):
    client.force_login(world.rep_a)
    with CaptureQueriesContext(connection) as ctx:
        client.post(reverse("segments:builder"), _form(), HTTP_HX_REQUEST="true")
    # Reads only: the time budget's own statements (PostgreSQL's SET LOCAL statement_timeout
    # in a savepoint) are bookkeeping, not queries of the page.
    bookkeeping = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET LOCAL")
    reads = [q for q in ctx.captured_queries if not q["sql"].startswith(bookkeeping)]
    assert len(reads) <= 12


def test_builder_resets_the_value_when_the_field_changes(world, client):
    client.force_login(world.rep_a)
    data = _form(**{"r.0:pf": "status", "r.0:f": "order_count"})
    body = client.post(reverse("segments:builder"), data, **EN).content.decode()
    # The old value ("active") is not carried into the number field: the count is shown.
    assert "Enter a whole number." in body or 'name="r.0:v" value=""' in body
    assert 'value="active"' not in body.split('name="r.0:o"')[1].split("</div>")[0]
