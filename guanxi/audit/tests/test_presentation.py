"""Changes as people read them: names instead of ids, labels instead of codes, masked details."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from guanxi.audit.models import AuditEvent
from guanxi.audit.presentation import present_events

pytestmark = pytest.mark.django_db


def test_owner_ids_become_names_and_codes_become_labels(two_teams, api):
    client = api(two_teams.head_manager)
    made = client.post(
        "/api/v1/customers/",
        {"display_name": "王五", "contact_points": [{"kind": "mobile", "value": "13900001111"}]},
        format="json",
    ).json()
    client.patch(
        f"/api/v1/customers/{made['id']}/",
        {"owner": two_teams.rep_a.pk, "grade": "vip", "version": 1},
        format="json",
    )
    events = AuditEvent.objects.filter(customer_id=made["id"]).order_by("-id")
    with translation.override("en"):
        update = present_events(two_teams.head_manager, events)[0]
    changes = {c.field: (c.before, c.after) for c in update.changes}
    assert changes["owner"] == ("head_manager", "rep_a")
    assert changes["grade"] == ("normal", "VIP")
    assert update.source == "API"
    with translation.override("en"):
        created = present_events(two_teams.analyst, events)[1]
    points = {c.field: c.after for c in created.changes}["contact points"]
    assert "13900001111" not in points and "139****1111" in points


def test_names_cost_one_query_per_related_model_whatever_the_number_of_events(two_teams, api):
    client = api(two_teams.head_manager)
    made = client.post("/api/v1/customers/", {"display_name": "A"}, format="json").json()
    version = 1
    for owner in [two_teams.rep_a, two_teams.head_manager] * 3:
        version = client.patch(
            f"/api/v1/customers/{made['id']}/",
            {"owner": owner.pk, "version": version},
            format="json",
        ).json()["version"]
    events = list(AuditEvent.objects.filter(customer_id=made["id"]))
    with CaptureQueriesContext(connection) as few:
        present_events(two_teams.head_manager, events[:2])
    with CaptureQueriesContext(connection) as many:
        present_events(two_teams.head_manager, events)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_history_shows_only_the_record_types_the_role_may_view(two_teams, api, make_user):
    from guanxi.accounts.models import Role

    owner = api(two_teams.rep_b)
    made = owner.post("/api/v1/customers/", {"display_name": "A"}, format="json").json()
    owner.post(
        "/api/v1/interactions/",
        {"customer": made["id"], "channel": "phone", "subject": "机密内容"},
        format="json",
    )
    no_interactions = Role.objects.create(
        code="no-interactions",
        name="No interactions",
        data_scope="all",
        permissions={"customers": ["view"]},
    )
    viewer = make_user("viewer", "read-only", two_teams.team_b)
    viewer.role = no_interactions
    viewer.save()
    history = api(viewer).get(f"/api/v1/customers/{made['id']}/history/").json()["results"]
    assert [h["object_type"] for h in history] == ["customers.customer"]
    assert "机密内容" not in str(history)
    assert api(viewer).get("/api/v1/interactions/").status_code == 403


def test_a_merge_and_its_undo_read_as_words_not_as_internal_keys(two_teams, api):
    """The merge's own entries (merged from, the fields taken, the rows moved, the undo) have
    translated labels and values: field and record names, not "customers.contactpoint.customer"
    or "industry: loser"; contact points and addresses read with their labels."""
    from guanxi.dedup import services as dedup

    client = api(two_teams.rep_a)
    phone = {"kind": "mobile", "value": "13900001111"}
    kept = client.post(
        "/api/v1/customers/",
        {"display_name": "周杰", "contact_points": [phone], "tags": ["A"],
         "addresses": [{"city": "上海", "street": "南京路1号"}]},
        format="json",
    ).json()  # fmt: skip
    gone = client.post(
        "/api/v1/customers/",
        {"display_name": "周 杰", "industry": "IT", "tags": ["B"],
         "contact_points": [phone, {"kind": "email", "value": "z@example.com"}]},
        format="json",
    ).json()  # fmt: skip
    from guanxi.customers.models import Customer

    merge = dedup.merge_customers(
        actor=two_teams.rep_a,
        survivor=Customer.objects.get(pk=kept["id"]),
        loser=Customer.objects.get(pk=gone["id"]),
        survivor_version=1,
        loser_version=1,
        choices={"industry": "loser"},
    )
    dedup.undo_merge(actor=two_teams.rep_a, merge=merge)
    events = AuditEvent.objects.filter(customer_id=kept["id"]).order_by("id")
    internal = {
        "merged from", "merge", "fields from merged", "moved", "left with merged",
        "merge undone", "moved back",
    }  # fmt: skip
    for language in ("en", "zh-hans"):
        with translation.override(language):
            presented = present_events(two_teams.rep_a, events)
        changes = [c for event in presented for c in event.changes]
        text = " ".join(f"{c.field} {c.before} {c.after}" for c in changes)
        assert not internal & {c.field for c in changes}, text
        assert "customers." not in text and "loser" not in text, text
        assert "mobile:" not in text and "city:" not in text, text
        assert "周 杰" in text  # the merged customer by name (the user may see it)
        if language == "zh-hans":
            merge_labels = [c.field for c in presented[1].changes if c.field != "行业"]
            assert all(not any("a" <= ch <= "z" for ch in f) for f in merge_labels), merge_labels
    with translation.override("en"):
        presented = present_events(two_teams.rep_a, events)
    merged = {c.field: c.after for c in presented[1].changes}
    assert merged["values taken from the merged customer"] == "industry"
    assert "tags: 1" in merged["moved to the kept customer"]
    created = {c.field: c.after for c in presented[0].changes}
    assert created["contact points"] == "mobile 13900001111"
    assert "city: 上海" not in created["addresses"] and "上海" in created["addresses"]


def test_dates_and_times_show_in_the_users_language_and_time_zone(two_teams):
    """A task's due time showed as the log keeps it, "2026-06-04T04:00:00+00:00", on the
    360° timeline (a win-back task's due date, say)."""
    import datetime as dt

    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.followups import services as tasks

    customer = Customer.objects.create(display_name="A", owner=two_teams.rep_a)
    tasks.create_task(
        actor=two_teams.rep_a,
        data={
            "customer": customer,
            "title": "Call",
            "due_at": dt.datetime(2026, 6, 4, 4, 0, tzinfo=dt.UTC),
        },
    )
    event = AuditEvent.objects.get(object_type="followups.task")
    with timezone.override("Asia/Shanghai"):
        with translation.override("zh-hans"):
            zh = {c.field: c.after for c in present_events(two_teams.rep_a, [event])[0].changes}
        with translation.override("en"):
            en = {c.field: c.after for c in present_events(two_teams.rep_a, [event])[0].changes}
    assert zh["截止时间"] == "2026年6月4日 12:00"
    assert en["due"] == "06/04/2026 noon"


def test_a_share_reads_as_who_it_was_shared_with_not_as_an_internal_key(two_teams):
    """Sharing records "shared_with": "user:7" / "team:3"; people read the label in their
    language and the user's or team's name."""
    from guanxi.customers import services
    from guanxi.customers.models import Customer

    customer = Customer.objects.create(
        display_name="甲", owner=two_teams.rep_a, team=two_teams.team_a
    )
    services.share_customer(actor=two_teams.rep_a, customer=customer, user=two_teams.rep_b)
    services.share_customer(actor=two_teams.rep_a, customer=customer, team=two_teams.team_b)
    services.unshare_customer(actor=two_teams.rep_a, customer=customer, user=two_teams.rep_b)
    events = AuditEvent.objects.filter(customer_id=customer.pk).order_by("id")
    with translation.override("zh-hans"):
        presented = present_events(two_teams.rep_a, events)
    shares = [(c.field, c.before, c.after) for e in presented for c in e.changes]
    assert shares == [
        ("共享给", "—", str(two_teams.rep_b)),
        ("共享给", "—", str(two_teams.team_b)),
        ("共享给", str(two_teams.rep_b), "—"),
    ]
