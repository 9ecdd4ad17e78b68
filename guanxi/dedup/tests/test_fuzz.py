"""Whatever JSON a client sends to the duplicate endpoints, the answer is a 4xx or a success,
never a 500 (the same property as guanxi/core/tests/test_api_fuzz.py, whose resource-shaped
URLs do not fit these action endpoints)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.tests.test_api_fuzz import json_values

pytestmark = pytest.mark.django_db

KEYS = {
    "/api/v1/customers/check-duplicates/": [
        "id", "kind", "display_name", "legal_name", "aliases", "credit_code", "identity_code",
        "birthday", "contact_points", "addresses", "owner", "team",
    ],
    "/api/v1/customers/merge/": [
        "survivor", "loser", "survivor_version", "loser_version", "choices",
    ],
    "/api/v1/duplicates/1/dismiss/": ["version"],
    "/api/v1/customers/merge/1/undo/": ["version"],
}  # fmt: skip


@pytest.mark.parametrize("url", sorted(KEYS))
@pytest.mark.parametrize("who", ["admin", "rep_a"])
def test_any_body_gets_a_4xx_or_success(two_teams, api, url, who):
    client = api(getattr(two_teams, who))
    for name in ("甲", "甲"):
        client.post("/api/v1/customers/", {"display_name": name}, format="json")
    keys = st.sampled_from(KEYS[url]) | st.text(max_size=8)
    ids = st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([1, 2, 3])
    choice_maps = st.dictionaries(
        st.sampled_from(["grade", "kind", "owner", "x"]), st.sampled_from(["loser", "x", 1])
    )

    @settings(
        max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(
        body=st.one_of(
            st.dictionaries(keys, json_values, max_size=6),
            st.fixed_dictionaries(
                {"survivor": ids, "loser": ids, "survivor_version": ids, "loser_version": ids},
                optional={"choices": choice_maps},
            ),
            json_values,
        )
    )
    def check(body):
        response = client.post(url, body, format="json")
        assert response.status_code < 500, (body, response.content[:500])

    check()
