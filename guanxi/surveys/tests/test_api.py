import pytest

from guanxi.surveys import services
from guanxi.surveys.models import ImprovementAction

pytestmark = pytest.mark.django_db

URL = "/api/v1/surveys/"
AURL = "/api/v1/improvement-actions/"


def test_responses_only_of_visible_customers(world, api):
    services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "5"})
    services.submit_response(link=world.link_b, answers={str(world.q_csat.pk): "1"})
    url = f"{URL}{world.csat.pk}/responses/"
    assert [r["customer"] for r in api(world.rep_a).get(url).json()["results"]] == [world.cust_a.pk]
    assert [r["customer"] for r in api(world.rep_b).get(url).json()["results"]] == [world.cust_b.pk]
    assert len(api(world.admin).get(url).json()["results"]) == 2
    assert api(world.rep_a).get(f"{URL}999999/responses/").status_code == 404
    assert api().get(url).status_code in (401, 403)


def test_create_survey_questions_and_open(world, api):
    client = api(world.rep_a)
    response = client.post(URL, {"title": "Custom", "kind": "custom"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.post(
        f"{URL}{pk}/questions/",
        {"kind": "single", "text": "Pick", "choices": ["a", "b"]},
        format="json",
    )
    assert response.status_code == 201
    qid = response.json()["id"]
    response = client.patch(
        f"{URL}{pk}/questions/{qid}/", {"text": "Pick one", "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["text"] == "Pick one"
    response = client.post(f"{URL}{pk}/status/", {"status": "active", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"
    response = client.post(f"{URL}{pk}/questions/", {"kind": "text", "text": "Late"}, format="json")
    assert response.status_code == 400
    # another rep may not change it
    other = api(world.rep_b)
    assert (
        other.post(
            f"{URL}{pk}/status/", {"status": "closed", "version": 2}, format="json"
        ).status_code
        == 403
    )
    assert (
        other.patch(f"{URL}{pk}/", {"title": "x", "version": 2}, format="json").status_code == 403
    )


def test_links_two_users(world, api):
    url = f"{URL}{world.nps.pk}/links/"
    response = api(world.rep_a).post(url, {"customer": world.cust_a.pk}, format="json")
    assert response.status_code == 201 and "/surveys/answer/" in response.json()["url"]
    response = api(world.rep_a).post(url, {"customer": world.cust_b.pk}, format="json")
    assert response.status_code == 400 and "customer" in response.json()
    assert (
        api(world.analyst).post(url, {"customer": world.cust_a.pk}, format="json").status_code
        == 403
    )


def test_bad_inputs(world, api):
    client = api(world.head_manager)
    for body in (
        {"title": "", "kind": "csat"},
        {"title": "x", "kind": "bogus"},
        {"title": "x", "kind": "csat", "low_csat": 9},
        {"title": "x", "kind": "csat", "extra": 1},
        ["not", "an", "object"],
    ):
        assert client.post(URL, body, format="json").status_code == 400, body
    url = f"{URL}{world.csat.pk}/status/"
    assert (
        client.post(
            url, {"status": "draft", "version": world.csat.version}, format="json"
        ).status_code
        == 400
    )
    assert client.post(url, {"status": "closed", "version": 99}, format="json").status_code == 409
    assert client.post(url, {"status": "closed"}, format="json").status_code == 400


def test_improvement_actions_api(world, api):
    client = api(world.rep_a)
    response = client.post(
        AURL,
        {"title": "Faster delivery", "survey": world.csat.pk, "due_date": "2020-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == world.rep_a.pk and body["is_overdue"] is True
    pk = body["id"]
    assert [a["id"] for a in client.get(AURL, {"overdue": "true"}).json()["results"]] == [pk]
    assert (
        api(world.rep_b)
        .patch(f"{AURL}{pk}/", {"status": "done", "version": 1}, format="json")
        .status_code
        == 403
    )
    assert (
        client.patch(f"{AURL}{pk}/", {"status": "done", "version": 1}, format="json").status_code
        == 200
    )
    assert (
        client.patch(f"{AURL}{pk}/", {"status": "done", "version": 1}, format="json").status_code
        == 409
    )
    assert client.post(AURL, {"title": "x", "status": "weird"}, format="json").status_code == 400
    assert (
        client.post(AURL, {"title": "x", "due_date": "2020-13-45"}, format="json").status_code
        == 400
    )
    assert api(world.analyst).post(AURL, {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"{AURL}{pk}/").status_code == 403
    assert api(world.head_manager).delete(f"{AURL}{pk}/").status_code == 204
    assert not ImprovementAction.objects.exists()


def test_responses_query_count(world, api, answer, django_assert_max_num_queries):
    from guanxi.customers.models import Customer

    for i in range(10):
        customer = Customer.objects.create(
            display_name=f"C{i}", owner=world.rep_a, team=world.team_a
        )
        answer(world.csat, customer, {world.q_csat.pk: 5})
    with django_assert_max_num_queries(8):
        response = api(world.rep_a).get(f"{URL}{world.csat.pk}/responses/")
    assert len(response.json()["results"]) == 10
    with django_assert_max_num_queries(8):
        assert api(world.rep_a).get(URL).status_code == 200
