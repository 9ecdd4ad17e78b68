"""The dashboard's ticket figures for a team count the tickets of that team and of every team
below it, among the tickets the user may see."""

import pytest
from django.utils import timezone

from guanxi.customers.models import Customer
from guanxi.tickets import services
from guanxi.tickets.selectors import dashboard_ticket_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(team_tree, world):
    """A ticket of team A1 (below team A) besides team A's and team B's."""
    w = world
    w.cust_a1 = Customer.objects.create(display_name="Alpha One", owner=w.rep_a1, team=w.team_a1)
    w.ticket_a1 = services.create_ticket(
        actor=w.rep_a1,
        data={
            "customer": w.cust_a1,
            "category": w.product,
            "subject": "Cracked lid",
            "assignee": w.rep_a1,
        },
    )
    assert w.ticket_a1.team_id == w.team_a1.pk
    return w


def opened(user, team):
    today = timezone.localdate()
    rows = dashboard_ticket_stats(user, date_from=today, date_to=today, team=team)
    return sum(r["opened"] for r in rows)


def test_parent_team_filter_includes_the_teams_below(tree):
    w = tree
    assert opened(w.admin, w.head) == 3
    assert opened(w.admin, w.head.pk) == 3  # an id works too
    assert opened(w.admin, w.team_a) == 2
    assert opened(w.admin, w.team_a1) == 1  # a leaf
    assert opened(w.admin, w.team_b) == 1


def test_parent_team_filter_does_not_show_a_sibling_teams_tickets(tree):
    """Manager A may not see team B's tickets: the Sales filter gives A's and A1's."""
    assert opened(tree.manager_a, tree.head) == 2
    assert opened(tree.head_manager, tree.head) == 3
