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
