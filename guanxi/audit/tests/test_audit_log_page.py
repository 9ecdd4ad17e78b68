"""The administrators' audit log: every recorded change, whoever made it and whatever record it
touched (exports, users, roles, settings, customers...), newest first, with filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts import services as account_services
from guanxi.customers import services as customer_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(two_teams):
    customer_services.create_customer(actor=two_teams.rep_a, data={"display_name": "甲一"})
    account_services.save_team(actor=two_teams.admin, team=None, data={"name": "新团队"})


def test_only_administrators_open_the_audit_log(two_teams, client, events):
    url = reverse("audit:log")
    for who in ("rep_a", "manager_a", "head_manager", "analyst"):
        client.force_login(getattr(two_teams, who))
        assert client.get(url).status_code == 403, who
    client.force_login(two_teams.admin)
    page = client.get(url).content.decode()
    assert "甲一" in page and "新团队" in page
    # In the Administration menu of an administrator only.
    assert url in page
    client.force_login(two_teams.manager_a)
    assert url not in client.get(reverse("home")).content.decode()


def test_the_audit_log_filters_by_who_what_and_when(two_teams, client, events):
    client.force_login(two_teams.admin)
    url = reverse("audit:log")
    by_rep = client.get(url, {"actor": two_teams.rep_a.pk}).content.decode()
    assert "甲一" in by_rep and "新团队" not in by_rep
    teams = client.get(url, {"record_type": "accounts.team"}).content.decode()
    assert "新团队" in teams and "甲一" not in teams
    later = client.get(url, {"date_from": "2100-01-01"}).content.decode()
    assert "甲一" not in later and "新团队" not in later
    bad = client.get(url, {"date_from": "yesterday", "actor": "x", "action": "explode"})
    assert bad.status_code == 400
    form = bad.context["form"]
    assert {"date_from", "actor", "action"} <= set(form.errors)


def test_the_audit_log_pages_in_constant_queries(
    two_teams, client, events, django_assert_max_num_queries
):
    for n in range(55):
        customer_services.create_customer(actor=two_teams.rep_a, data={"display_name": f"客户{n}"})
    client.force_login(two_teams.admin)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("audit:log"))
    assert response.status_code == 200 and response.context["next_url"]
