"""Survey results filtered by team count the customers of that team and of every team below
it; the filter narrows the answers the user may see."""

import pytest
from django.urls import reverse

from guanxi.customers.models import Customer
from guanxi.surveys import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(team_tree, world, answer):
    """An answer from a customer of each of team A, team A1 (below A) and team B."""
    w = world
    w.cust_a1 = Customer.objects.create(display_name="Alpha One", owner=w.rep_a1, team=w.team_a1)
    answer(w.csat, w.cust_a, {w.q_csat.pk: 5})
    answer(w.csat, w.cust_a1, {w.q_csat.pk: 4})
    answer(w.csat, w.cust_b, {w.q_csat.pk: 1})
    return w


def responses(user, team):
    total = selectors.totals(user, team=team)["responses"]
    by_month = sum(r["responses"] for r in selectors.scores(user, team=team))
    assert by_month == total
    return total


def test_parent_team_filter_includes_the_teams_below(tree):
    w = tree
    assert responses(w.head_manager, w.head) == 3
    assert responses(w.head_manager, w.head.pk) == 3  # an id works too
    assert responses(w.head_manager, w.team_a) == 2
    assert responses(w.head_manager, w.team_a1) == 1  # a leaf
    assert selectors.totals(w.head_manager, team=w.team_a)["csat_avg"] == 4.5


def test_parent_team_filter_does_not_show_a_sibling_teams_answers(tree):
    """Manager A may not see team B's customers: the Sales filter gives A's and A1's answers."""
    assert responses(tree.manager_a, tree.head) == 2
    assert selectors.totals(tree.manager_a, team=tree.head)["csat_avg"] == 4.5


def test_dashboard_trend_and_results_page_follow_the_rule(tree, client):
    import datetime as dt

    today = dt.date.today()
    trend = selectors.satisfaction_trend(
        tree.head_manager, date_from=today - dt.timedelta(days=31), date_to=today, team=tree.head
    )
    assert sum(r["responses"] for r in trend) == 3
    client.force_login(tree.head_manager)
    response = client.get(reverse("surveys:results"), {"team": tree.team_a.pk})
    assert response.status_code == 200
    assert response.context["overall"]["responses"] == 2
