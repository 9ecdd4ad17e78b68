"""The pool API's team filter: the team and every team below it, within the user's pools."""

import pytest

pytestmark = pytest.mark.django_db


def names(api, user, **params):
    response = api(user).get("/api/v1/pool/", params)
    assert response.status_code == 200
    return sorted(c["display_name"] for c in response.json()["results"])


def test_pool_filter_on_a_parent_team_includes_the_teams_below(pool, team_tree, api):
    in_a1 = pool.make("Pool Alpha One", pool.team_a1)
    assert in_a1.team_id == pool.team_a1.pk
    assert names(api, pool.head_manager, team=pool.head.pk) == [
        "Pool Alpha",
        "Pool Alpha One",
        "Pool Beta",
    ]
    assert names(api, pool.head_manager, team=pool.team_a.pk) == ["Pool Alpha", "Pool Alpha One"]
    assert names(api, pool.head_manager, team=pool.team_b.pk) == ["Pool Beta"]
    # Manager A's pools are those of teams A and A1: team B's stays out of the parent filter.
    assert names(api, pool.manager_a, team=pool.head.pk) == ["Pool Alpha", "Pool Alpha One"]
