"""Tokens, users and teams through the API."""

import pytest
from rest_framework.test import APIClient

from guanxi.accounts.models import Team, User
from guanxi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_token_for_username_and_password_then_token_authenticates(two_teams):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "rep_a", "password": "pw-rep_a"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["username"] == "rep_a"


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "rep_a", "password": "wrong"},
        {"username": "nobody", "password": "wrong"},
    ],
)
def test_wrong_credentials_get_the_same_answer_whether_or_not_the_user_exists(two_teams, payload):
    response = APIClient().post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == 400
    assert (
        response.json() == {"non_field_errors": ["The username or the password is wrong."]}
        or "non_field_errors" in response.json()
    )


def test_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get("/api/v1/customers/").status_code == 401


def test_admin_creates_team_and_user_with_role_and_team(two_teams, api):
    admin = api(two_teams.admin)
    team = admin.post(
        "/api/v1/teams/", {"name": "华南销售", "parent": two_teams.head.pk}, format="json"
    )
    assert team.status_code == 201, team.json()
    assert team.json()["path"] == f"{two_teams.head.path}{team.json()['id']}/"
    user = admin.post(
        "/api/v1/users/",
        {
            "username": "li",
            "password": "a-Long-passw0rd!",
            "role": "sales",
            "team": team.json()["id"],
        },
        format="json",
    )
    assert user.status_code == 201, user.json()
    assert user.json()["role"] == "sales"
    assert "password" not in user.json()
    created = User.objects.get(username="li")
    assert created.check_password("a-Long-passw0rd!")
    assert AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(created.pk)
    ).exists()


def test_non_admin_cannot_create_users_or_teams(two_teams, api):
    client = api(two_teams.head_manager)
    assert client.post("/api/v1/teams/", {"name": "X"}, format="json").status_code == 403
    response = client.post(
        "/api/v1/users/",
        {"username": "x", "password": "a-Long-passw0rd!", "role": "admin"},
        format="json",
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_weak_password_and_duplicate_username_are_field_errors(two_teams, api):
    admin = api(two_teams.admin)
    weak = admin.post("/api/v1/users/", {"username": "y", "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()
    dup = admin.post(
        "/api/v1/users/", {"username": "rep_a", "password": "a-Long-passw0rd!"}, format="json"
    )
    assert dup.status_code == 400 and "username" in dup.json()


def test_team_cannot_be_moved_below_itself(two_teams, api):
    admin = api(two_teams.admin)
    response = admin.patch(
        f"/api/v1/teams/{two_teams.head.pk}/",
        {"parent": two_teams.team_a.pk, "version": 1},
        format="json",
    )
    assert response.status_code == 400


def test_moving_a_team_moves_the_teams_below(two_teams, api, make_team):
    sub = make_team("Sub A", parent=two_teams.team_a)
    admin = api(two_teams.admin)
    response = admin.patch(
        f"/api/v1/teams/{two_teams.team_a.pk}/", {"parent": None, "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    sub.refresh_from_db()
    assert sub.path == f"/{two_teams.team_a.pk}/{sub.pk}/"
    assert Team.objects.get(pk=two_teams.team_a.pk).path == f"/{two_teams.team_a.pk}/"


def test_deleting_a_user_deactivates_it(two_teams, api):
    response = api(two_teams.admin).delete(f"/api/v1/users/{two_teams.rep_b.pk}/")
    assert response.status_code == 204
    two_teams.rep_b.refresh_from_db()
    assert two_teams.rep_b.is_active is False


def test_roles_are_listed(two_teams, api):
    codes = [r["code"] for r in api(two_teams.rep_a).get("/api/v1/roles/").json()["results"]]
    assert codes == ["admin", "manager", "sales", "service", "analyst", "read-only"]


def test_schema_and_docs_are_served(two_teams, api):
    client = api(two_teams.rep_a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/customers/{id}/history/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
