"""Interactions through the API: validation, the gate and the last-contact aggregate."""

import pytest

from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db
URL = "/api/v1/interactions/"


@pytest.fixture
def customer_b(two_teams, api):
    return (
        api(two_teams.rep_b)
        .post("/api/v1/customers/", {"display_name": "王五"}, format="json")
        .json()
    )


def log(client, target, **extra):
    payload = {
        "customer": target["id"],
        "channel": "phone",
        "direction": "outbound",
        "purpose": "care",
        "subject": "回访",
        "occurred_at": "2026-10-01T09:30:00+08:00",
        "duration_minutes": 5,
        "outcome": "successful",
        "quality_rating": 4,
    } | extra
    return client.post(URL, payload, format="json")


def test_logging_an_interaction_updates_last_contact(two_teams, api, customer_b):
    response = log(api(two_teams.rep_b), customer_b)
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == two_teams.rep_b.pk
    c = Customer.objects.get(pk=customer_b["id"])
    assert c.interaction_count == 1
    assert c.last_interaction_at.isoformat().startswith("2026-10-01T01:30")


@pytest.mark.parametrize(
    "extra",
    [
        {"channel": "pigeon"},
        {"quality_rating": 9},
        {"occurred_at": "2999-01-01T00:00:00Z"},
        {"subject": ""},
        {"duration_minutes": -3},
        {"customer": "abc"},
    ],
)
def test_bad_interactions_answer_400(two_teams, api, customer_b, extra):
    assert log(api(two_teams.rep_b), customer_b, **extra).status_code == 400


def test_other_team_cannot_log_against_or_read_interactions(two_teams, api, customer_b):
    made = log(api(two_teams.rep_b), customer_b).json()
    rep_a = api(two_teams.rep_a)
    assert log(rep_a, customer_b).status_code == 400  # the customer looks missing
    assert rep_a.get(URL).json()["results"] == []
    assert rep_a.get(f"{URL}{made['id']}/").status_code == 404
    assert rep_a.delete(f"{URL}{made['id']}/").status_code == 404


def test_interaction_history_appears_in_the_customers_history(two_teams, api, customer_b):
    client = api(two_teams.rep_b)
    made = log(client, customer_b).json()
    client.patch(f"{URL}{made['id']}/", {"outcome": "follow_up", "version": 1}, format="json")
    history = client.get(f"/api/v1/customers/{customer_b['id']}/history/").json()["results"]
    types = [(h["object_type"], h["action"]) for h in history]
    assert ("interactions.interaction", "update") in types
    assert ("interactions.interaction", "create") in types


def test_a_rep_cannot_attribute_an_interaction_to_someone_else(two_teams, api, customer_b):
    response = log(api(two_teams.rep_b), customer_b, user=two_teams.rep_a.pk)
    assert response.status_code == 400 and "user" in response.json()


def test_a_read_only_share_does_not_let_a_colleague_rewrite_the_owners_interactions(
    two_teams, api, customer_b
):
    owner = api(two_teams.rep_b)
    made = log(owner, customer_b).json()
    owner.post(
        f"/api/v1/customers/{customer_b['id']}/share/", {"user": two_teams.rep_a.pk}, format="json"
    )
    rep_a = api(two_teams.rep_a)
    assert rep_a.get(f"{URL}{made['id']}/").status_code == 200
    edit = rep_a.patch(f"{URL}{made['id']}/", {"subject": "改写", "version": 1}, format="json")
    assert edit.status_code == 403
    assert rep_a.delete(f"{URL}{made['id']}/").status_code == 403
    # They may log their own interaction and edit it.
    mine = log(rep_a, customer_b).json()
    assert (
        rep_a.patch(
            f"{URL}{mine['id']}/", {"subject": "我的", "version": 1}, format="json"
        ).status_code
        == 200
    )
