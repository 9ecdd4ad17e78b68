import pytest

from guanxi.pipeline.models import Opportunity, Outcome, Pipeline

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"
PURL = "/api/v1/pipelines/"


def test_rep_sees_only_their_opportunities(world, api):
    client = api(world.rep_a)
    ids = [o["id"] for o in client.get(URL).json()["results"]]
    assert ids == [world.opp_a.pk]
    b = world.opp_b.pk
    assert client.get(f"{URL}{b}/").status_code == 404
    assert (
        client.post(
            f"{URL}{b}/move/", {"stage": world.stages[1].pk, "version": 1}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"{URL}{b}/win/", {"version": 1}, format="json").status_code == 404
    assert (
        client.post(
            f"{URL}{b}/lose/", {"version": 1, "lost_reason": world.reason.pk}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"{URL}{b}/create-order/").status_code == 404
    assert client.get(f"{URL}{b}/stage-history/").status_code == 404
    assert client.get(f"{URL}{b}/history/").status_code == 404
    assert client.patch(f"{URL}{b}/", {"name": "x", "version": 1}, format="json").status_code == 404
    assert client.delete(f"{URL}{b}/").status_code == 404
    assert Opportunity.objects.get(pk=b).stage == world.stages[0]


def test_manager_and_admin_scope(world, api):
    assert {o["id"] for o in api(world.manager_a).get(URL).json()["results"]} == {world.opp_a.pk}
    assert {o["id"] for o in api(world.admin).get(URL).json()["results"]} == {
        world.opp_a.pk,
        world.opp_b.pk,
    }


def test_analyst_reads_but_may_not_write(world, api):
    client = api(world.analyst)
    assert client.get(f"{URL}{world.opp_a.pk}/").status_code == 200
    response = client.post(
        f"{URL}{world.opp_a.pk}/move/", {"stage": world.stages[1].pk, "version": 1}, format="json"
    )
    assert response.status_code == 403


def test_create_move_win_order_via_api(world, api):
    client = api(world.rep_a)
    response = client.post(
        URL,
        {
            "name": "New",
            "customer": world.cust_a.pk,
            "pipeline": world.pipeline.pk,
            "amount": "250.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["stage"] == world.stages[0].pk
        and body["probability"] == 10
        and body["currency"] == "CNY"
    )
    pk = body["id"]
    moved = client.post(
        f"{URL}{pk}/move/", {"stage": world.stages[2].pk, "version": 1}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = client.post(
        f"{URL}{pk}/move/", {"stage": world.stages[3].pk, "version": 1}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    won = client.post(f"{URL}{pk}/win/", {"version": 2}, format="json")
    assert won.status_code == 200 and won.json()["status"] == Outcome.WON
    order = client.post(f"{URL}{pk}/create-order/")
    assert order.status_code == 201 and order.json()["order"]
    again = client.post(f"{URL}{pk}/create-order/")
    assert again.status_code == 400
    history = client.get(f"{URL}{pk}/stage-history/").json()
    assert [h["stage"] for h in history] == [world.stages[0].pk, world.stages[2].pk, world.won.pk]
    assert history[0]["seconds"] is not None and history[-1]["left_at"] is None


def test_lose_requires_reason_via_api(world, api):
    client = api(world.rep_a)
    url = f"{URL}{world.opp_a.pk}/lose/"
    response = client.post(url, {"version": 1}, format="json")
    assert response.status_code == 400 and "lost_reason" in response.json()
    response = client.post(url, {"version": 1, "lost_reason": None}, format="json")
    assert response.status_code == 400 and "lost_reason" in response.json()
    response = client.post(
        url, {"version": 1, "lost_reason": world.reason.pk, "lost_note": "price"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "lost"


def test_bad_inputs(world, api):
    client = api(world.rep_a)
    for body in (
        {"name": "x", "customer": world.cust_b.pk, "pipeline": world.pipeline.pk},
        {"name": "x", "customer": world.cust_a.pk, "pipeline": world.pipeline.pk, "amount": "-1"},
        {
            "name": "x",
            "customer": world.cust_a.pk,
            "pipeline": world.pipeline.pk,
            "probability": 101,
        },
        {"name": "x", "customer": world.cust_a.pk, "pipeline": 999999},
        {"name": "x", "customer": world.cust_a.pk, "pipeline": world.pipeline.pk, "bogus": 1},
        {
            "name": "x",
            "customer": world.cust_a.pk,
            "pipeline": world.pipeline.pk,
            "lines": [{"product": 999}],
        },
        {"name": "x", "customer": world.cust_a.pk, "pipeline": world.pipeline.pk, "currency": "12"},
    ):
        response = client.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
    response = client.post(
        f"{URL}{world.opp_a.pk}/move/", {"stage": "x", "version": 1}, format="json"
    )
    assert response.status_code == 400
    response = client.patch(f"{URL}{world.opp_a.pk}/", {"name": "y"}, format="json")
    assert response.status_code == 400 and "version" in response.json()


def test_pipelines_readable_writable_by_admin_only(world, api):
    body = api(world.rep_a).get(PURL).json()["results"]
    assert [p["name"] for p in body] == ["Sales"] and len(body[0]["stages"]) == 6
    assert api(world.rep_a).post(PURL, {"name": "Mine"}, format="json").status_code == 403
    stage = world.stages[0]
    assert (
        api(world.rep_a)
        .patch(
            f"{PURL}{world.pipeline.pk}/stages/{stage.pk}/",
            {"name": "Q", "version": 1},
            format="json",
        )
        .status_code
        == 403
    )
    admin = api(world.admin)
    response = admin.post(PURL, {"name": "Projects", "currency": "usd"}, format="json")
    assert response.status_code == 201 and response.json()["currency"] == "USD"
    response = admin.patch(
        f"{PURL}{world.pipeline.pk}/stages/{stage.pk}/",
        {"probability": 15, "version": 1},
        format="json",
    )
    assert response.status_code == 200 and response.json()["probability"] == 15
    response = admin.post(
        f"{PURL}{world.pipeline.pk}/stages/", {"name": "Demo", "probability": 40}, format="json"
    )
    assert response.status_code == 201
    response = admin.delete(f"{PURL}{world.pipeline.pk}/stages/{response.json()['id']}/")
    assert response.status_code == 204
    assert admin.delete(f"{PURL}{world.pipeline.pk}/").status_code == 400
    assert Pipeline.objects.filter(pk=world.pipeline.pk).exists()


def test_list_query_count(world, api, django_assert_max_num_queries):
    from guanxi.pipeline import services

    for i in range(10):
        services.create_opportunity(
            actor=world.rep_a,
            data={"name": f"D{i}", "customer": world.cust_a, "pipeline": world.pipeline},
        )
    client = api(world.rep_a)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
