"""Property-based fuzzing of every writable resource: whatever JSON a client sends (wrong
types, unknown fields, huge strings, nested junk), the answer is a 4xx, never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FIELDS = {
    "customers": [
        "kind", "display_name", "legal_name", "short_name", "aliases", "credit_code", "gender",
        "birthday", "interests", "grade", "status", "lifecycle_stage", "value_tier", "tags",
        "custom_fields", "owner", "team", "contact_points", "addresses", "version",
        "identity_code", "referred_by", "marketing_consent",
    ],
    "contacts": ["organisation", "name", "title", "role", "mobile", "email", "version"],
    "interactions": [
        "customer", "contact", "channel", "direction", "purpose", "subject", "occurred_at",
        "duration_minutes", "quality_rating", "version",
    ],
    "products": ["sku", "name", "unit_price", "unit_cost", "currency", "active", "version"],
    "orders": ["customer", "number", "status", "ordered_at", "currency", "lines", "version"],
    "teams": ["name", "parent", "version"],
    "users": ["username", "password", "role", "team", "is_active", "email", "version"],
    "tags": ["name", "color", "version"],
    "tasks": [
        "customer", "kind", "title", "notes", "assignee", "due_at", "priority", "recurrence",
        "version",
    ],
    "custom-fields": [
        "key", "label", "field_type", "choices", "min_value", "max_value", "pattern", "version",
    ],
    "articles": [
        "title", "body", "category", "tags", "status", "owner", "review_due_on", "note", "version",
    ],
    "pipelines": ["name", "currency", "position", "active", "version"],
    "opportunities": [
        "name", "customer", "owner", "pipeline", "stage", "amount", "currency", "probability",
        "expected_close", "notes", "lines", "version",
    ],
    "surveys": ["title", "kind", "intro", "closes_at", "low_csat", "low_nps", "version"],
    "improvement-actions": [
        "title", "description", "owner", "due_date", "status", "survey", "theme", "version",
    ],
    "tickets": [
        "customer", "kind", "category", "priority", "subject", "description", "assignee",
        "version",
    ],
    "needs": [
        "customer", "title", "description", "category", "importance", "status", "ticket",
        "interaction", "version",
    ],
    "segments": ["name", "description", "kind", "rules", "visibility", "version"],
    "care-plans": ["name", "grade", "cadence_days", "task_kind", "active", "version"],
    "imports": ["file", "mapping", "mode", "key", "kind", "dry_run"],
    "exports": ["file_format", "filters", "ids"],
    "analytics/recompute": ["as_of"],
}  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "1", "0", "-1", "1e400", "NaN", "2026-13-45", "13812345678", "x" * 3000])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def bodies(resource):
    keys = st.sampled_from(FIELDS[resource]) | st.text(max_size=12)
    lines = st.lists(
        st.fixed_dictionaries(
            {},
            optional={"product": json_values, "quantity": json_values, "unit_price": json_values},
        ),
        max_size=3,
    )
    points = st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "kind": st.sampled_from(["mobile", "email", "x"]),
                "value": json_values,
                "label": json_values,
            },
        ),
        max_size=3,
    )
    return st.one_of(
        st.dictionaries(keys, json_values, max_size=8),
        st.fixed_dictionaries({"lines": lines, "customer": st.integers(0, 5)}),
        st.fixed_dictionaries({"contact_points": points, "display_name": st.text(max_size=5)}),
        json_values,
    )  # fmt: skip


@pytest.fixture
def world(two_teams, api):
    admin = api(two_teams.admin)
    admin.post("/api/v1/products/", {"sku": "F", "name": "F", "unit_price": "1"}, format="json")
    org = admin.post(
        "/api/v1/customers/", {"display_name": "Org", "kind": "organisation"}, format="json"
    ).json()
    admin.post("/api/v1/contacts/", {"organisation": org["id"], "name": "C"}, format="json")
    return two_teams


@pytest.mark.parametrize("resource", sorted(FIELDS))
@pytest.mark.parametrize("who", ["admin", "rep_a"])
def test_any_json_body_gets_a_4xx_or_success_never_a_500(world, api, resource, who):
    client = api(getattr(world, who))
    # an existing record to PATCH (the first the user can see, if any)
    listed = client.get(f"/api/v1/{resource}/").json().get("results") or [{"id": 1}]
    target = f"/api/v1/{resource}/{listed[0]['id']}/"

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(body=bodies(resource), method=st.sampled_from(["post", "patch"]))
    def check(body, method):
        url = f"/api/v1/{resource}/" if method == "post" else target
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code < 500, (method, body, response.content[:500])

    check()
