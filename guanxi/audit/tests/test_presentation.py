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
