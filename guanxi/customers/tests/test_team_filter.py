"""Filtering customers by team means that team and every team below it, on the list page, its
export and the API; it narrows what the user may see and never shows more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db
API = "/api/v1/customers/"


@pytest.fixture
def world(team_tree):
    """Sales > (Team A > Team A1, Team B): a customer in each of A, A1 and B."""
    w = team_tree
    w.in_a = Customer.objects.create(display_name="Alpha Co", owner=w.rep_a, team=w.team_a)
    w.in_a1 = Customer.objects.create(display_name="Alpha One", owner=w.rep_a1, team=w.team_a1)
    w.in_b = Customer.objects.create(display_name="Beta Co", owner=w.rep_b, team=w.team_b)
    return w


def listed(client, user, team) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("customers:list"), {"team": team.pk})
    assert response.status_code == 200
    return sorted(r["customer"].display_name for r in response.context["rows"])


def from_api(api, user, team) -> list[str]:
    response = api(user).get(API, {"team": team.pk})
    assert response.status_code == 200
    return sorted(c["display_name"] for c in response.json()["results"])


def test_list_filter_on_a_parent_team_includes_the_teams_below(world, client):
    everyone = ["Alpha Co", "Alpha One", "Beta Co"]
    assert listed(client, world.head_manager, world.head) == everyone
    assert listed(client, world.head_manager, world.team_a) == ["Alpha Co", "Alpha One"]
    assert listed(client, world.head_manager, world.team_a1) == ["Alpha One"]  # a leaf
    assert listed(client, world.head_manager, world.team_b) == ["Beta Co"]


def test_list_filter_on_a_parent_team_does_not_show_a_sibling_teams_customers(world, client):
    """Manager A sees teams A and A1, not team B: the Sales filter shows them A and A1 only."""
    assert listed(client, world.manager_a, world.head) == ["Alpha Co", "Alpha One"]
    assert listed(client, world.manager_a, world.team_b) == []
    assert listed(client, world.rep_a1, world.head) == ["Alpha One"]


def test_export_of_the_filtered_list_follows_the_same_rule(world):
    from guanxi.customers.views.list import filtered_customers

    def names(user):
        qs = filtered_customers(user=user, params={"team": str(world.head.pk)})
        return sorted(qs.values_list("display_name", flat=True))

    assert names(world.head_manager) == ["Alpha Co", "Alpha One", "Beta Co"]
    assert names(world.manager_a) == ["Alpha Co", "Alpha One"]


def test_api_filter_on_a_parent_team_includes_the_teams_below(world, api):
    assert from_api(api, world.head_manager, world.head) == ["Alpha Co", "Alpha One", "Beta Co"]
    assert from_api(api, world.head_manager, world.team_a) == ["Alpha Co", "Alpha One"]
    assert from_api(api, world.head_manager, world.team_b) == ["Beta Co"]
    assert from_api(api, world.manager_a, world.head) == ["Alpha Co", "Alpha One"]
    assert from_api(api, world.rep_b, world.head) == ["Beta Co"]


@pytest.mark.parametrize("value", ["x", "1.5", "-1", "99999999999999999999", ""])
def test_api_bad_team_values_give_no_error_and_nothing_extra(world, api, value):
    response = api(world.manager_a).get(API, {"team": value})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        names = {c["display_name"] for c in response.json()["results"]}
        assert "Beta Co" not in names


def test_team_choices_show_the_tree(world, client):
    """The team a user picks is shown in its place, its sub-teams indented below it, so that
    it is plain that choosing it takes them in too (customer list, dashboard, board, surveys)."""
    from guanxi.pipeline import services as pipeline_services

    pipeline_services.create_pipeline(actor=world.admin, data={"name": "Sales", "currency": "CNY"})
    client.force_login(world.head_manager)
    for url in ("/customers/", "/reports/", "/pipeline/", "/surveys/results/"):
        body = client.get(url).content.decode()
        head = body.index(f'<option value="{world.head.pk}">Sales</option>')
        a = body.index(f'<option value="{world.team_a.pk}">\u3000Team A</option>')
        a1 = body.index(f'<option value="{world.team_a1.pk}">\u3000\u3000Team A1</option>')
        assert head < a < a1, url
