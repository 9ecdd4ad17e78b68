"""Notes through the API (/api/v1/notes/): the two-user gate, who may write, 409 on stale
writes, bad input as 400."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_a(two_teams, api):
    return (
        api(two_teams.rep_a)
        .post("/api/v1/customers/", {"display_name": "李雷"}, format="json")
        .json()
    )


def test_notes_follow_their_customers_visibility(two_teams, api, customer_a):
    owner = api(two_teams.rep_a)
    made = owner.post(
        "/api/v1/notes/", {"customer": customer_a["id"], "body": "喜欢喝茶"}, format="json"
    )
    assert made.status_code == 201, made.json()
    note = made.json()
    assert note["author"] == two_teams.rep_a.pk and note["version"] == 1
    other = api(two_teams.rep_b)
    assert other.get(f"/api/v1/notes/{note['id']}/").status_code == 404
    assert other.get("/api/v1/notes/").json()["results"] == []
    # Rep B cannot write on rep A's customer: the customer looks missing.
    refused = other.post(
        "/api/v1/notes/", {"customer": customer_a["id"], "body": "x"}, format="json"
    )
    assert refused.status_code == 400 and "customer" in refused.json()
    assert other.delete(f"/api/v1/notes/{note['id']}/").status_code == 404
    listed = owner.get("/api/v1/notes/", {"customer": customer_a["id"]}).json()["results"]
    assert [n["id"] for n in listed] == [note["id"]]


def test_a_role_that_may_not_change_customers_reads_but_does_not_write(two_teams, api, customer_a):
    analyst = api(two_teams.analyst)
    assert (
        analyst.post(
            "/api/v1/notes/", {"customer": customer_a["id"], "body": "x"}, format="json"
        ).status_code
        == 403
    )
    api(two_teams.rep_a).post(
        "/api/v1/notes/", {"customer": customer_a["id"], "body": "可见"}, format="json"
    )
    assert analyst.get("/api/v1/notes/").json()["results"][0]["body"] == "可见"


def test_stale_note_update_is_a_409_and_blank_body_a_400(two_teams, api, customer_a):
    owner = api(two_teams.rep_a)
    note = owner.post(
        "/api/v1/notes/", {"customer": customer_a["id"], "body": "一"}, format="json"
    ).json()
    url = f"/api/v1/notes/{note['id']}/"
    assert owner.patch(url, {"body": "二", "version": 1}, format="json").status_code == 200
    stale = owner.patch(url, {"body": "三", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert owner.patch(url, {"body": "  ", "version": 2}, format="json").status_code == 400
    assert owner.patch(url, {"body": "x"}, format="json").status_code == 400
    assert owner.post("/api/v1/notes/", {"body": "x"}, format="json").status_code == 400
    assert owner.delete(url).status_code == 204
