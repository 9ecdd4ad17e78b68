"""The home page is the user's day: their recent customers and interactions, never someone
else's, at a cost that does not grow with the number shown; the tasks due today."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.customers import services as customer_services
from guanxi.interactions import services as interaction_services

pytestmark = pytest.mark.django_db


def _customer(user, name):
    return customer_services.create_customer(actor=user, data={"display_name": name})


def _interaction(user, customer, subject):
    return interaction_services.create_interaction(
        actor=user,
        data={
            "customer": customer,
            "channel": "phone",
            "subject": subject,
            "occurred_at": timezone.now(),
        },
    )


def test_home_shows_my_recent_customers_and_interactions_not_another_reps(two_teams, client):
    mine = _customer(two_teams.rep_a, "甲方客户")
    theirs = _customer(two_teams.rep_b, "乙方客户")
    _interaction(two_teams.rep_a, mine, "甲方回访")
    _interaction(two_teams.rep_b, theirs, "乙方回访")
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("home")).content.decode()
    assert "甲方客户" in body and "甲方回访" in body
    assert "乙方客户" not in body and "乙方回访" not in body


def test_home_tasks_panel_shows_my_day(two_teams, client):
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("home"), headers={"accept-language": "en"}).content.decode()
    assert "Tasks due" in body
    assert "Nothing due today." in body


def test_manager_who_owns_nothing_sees_the_teams_recent_customers(two_teams, client):
    _customer(two_teams.rep_a, "甲方客户")
    client.force_login(two_teams.manager_a)
    assert "甲方客户" in client.get(reverse("home")).content.decode()


def test_home_costs_the_same_with_two_or_eight_items(two_teams, client):
    rep = two_teams.rep_a
    client.force_login(rep)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        _interaction(rep, _customer(rep, f"客户{i}"), f"回访{i}")
    few = queries()
    for i in range(2, 8):
        _interaction(rep, _customer(rep, f"客户{i}"), f"回访{i}")
    assert queries() == few
