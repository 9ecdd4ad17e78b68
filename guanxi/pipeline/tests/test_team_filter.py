"""The board, the funnel and the API filter opportunities by the owner's team and every team
below it; the filter narrows what the user may see."""

from decimal import Decimal

import pytest

from guanxi.customers.models import Customer
from guanxi.pipeline import selectors, services
from guanxi.pipeline.selectors import BoardFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(team_tree, world):
    """The pipeline world with an opportunity of rep A1 (team A1, below team A)."""
    w = world
    w.cust_a1 = Customer.objects.create(display_name="Alpha One", owner=w.rep_a1, team=w.team_a1)
    w.opp_a1 = services.create_opportunity(
        actor=w.rep_a1,
        data={
            "name": "Deal A1",
            "customer": w.cust_a1,
            "pipeline": w.pipeline,
            "amount": Decimal("200"),
        },
    )
    return w


def on_board(user, pipeline, team):
    columns = selectors.board(user=user, pipeline=pipeline, filters=BoardFilters(team=team.pk))
    return sorted(card.name for column in columns for card in column.cards)


def funnel_count(user, team):
    return sum(row["count"] for row in selectors.funnel(user, team=team))


def test_board_filter_on_a_parent_team_includes_the_teams_below(tree):
    w = tree
    assert on_board(w.head_manager, w.pipeline, w.head) == ["Deal A", "Deal A1", "Deal B"]
    assert on_board(w.head_manager, w.pipeline, w.team_a) == ["Deal A", "Deal A1"]
    assert on_board(w.head_manager, w.pipeline, w.team_a1) == ["Deal A1"]  # a leaf
    # Manager A may not see team B's deals: the parent filter does not bring them in.
    assert on_board(w.manager_a, w.pipeline, w.head) == ["Deal A", "Deal A1"]


def test_board_page_filter_on_a_parent_team(tree, client):
    client.force_login(tree.head_manager)
    response = client.get("/pipeline/", {"pipeline": tree.pipeline.pk, "team": tree.team_a.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Deal A1" in body and "Deal B" not in body


def test_funnel_filter_on_a_parent_team_includes_the_teams_below(tree):
    w = tree
    assert funnel_count(w.head_manager, w.head) == 3
    assert funnel_count(w.head_manager, w.head.pk) == 3  # an id works too
    assert funnel_count(w.head_manager, w.team_a) == 2
    assert funnel_count(w.head_manager, w.team_b) == 1
    assert funnel_count(w.manager_a, w.head) == 2


def test_api_filter_on_a_parent_team_includes_the_teams_below(tree, api):
    def names(user, team):
        response = api(user).get("/api/v1/opportunities/", {"team": team.pk})
        assert response.status_code == 200
        return sorted(o["name"] for o in response.json()["results"])

    assert names(tree.head_manager, tree.head) == ["Deal A", "Deal A1", "Deal B"]
    assert names(tree.head_manager, tree.team_a) == ["Deal A", "Deal A1"]
    assert names(tree.manager_a, tree.head) == ["Deal A", "Deal A1"]
