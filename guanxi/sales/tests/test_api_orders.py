"""Orders and products through the API, and the customer aggregates they keep current."""

from decimal import Decimal

import pytest

from guanxi.customers import aggregates
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(two_teams, api):
    client = api(two_teams.admin)
    tea = client.post(
        "/api/v1/products/",
        {"sku": "TEA-1", "name": "龙井茶", "unit_price": "88.50"},
        format="json",
    )
    cup = client.post(
        "/api/v1/products/", {"sku": "CUP-1", "name": "Cup", "unit_price": "20.00"}, format="json"
    )
    assert tea.status_code == 201 and cup.status_code == 201
    return tea.json(), cup.json()


@pytest.fixture
def customer_b(two_teams, api):
    response = api(two_teams.rep_b).post(
        "/api/v1/customers/", {"display_name": "王五"}, format="json"
    )
    return response.json()


def order(client, customer, lines, **extra):
    return client.post(
        "/api/v1/orders/", {"customer": customer["id"], "lines": lines} | extra, format="json"
    )


def test_orders_update_the_customer_aggregates_in_the_same_transaction(
    two_teams, api, catalogue, customer_b
):
    tea, cup = catalogue
    client = api(two_teams.rep_b)
    first = order(
        client,
        customer_b,
        [{"product": tea["id"], "quantity": "2"}, {"product": cup["id"], "unit_price": "15"}],
        ordered_at="2026-01-05T10:00:00+08:00",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["total"] == "192.00"
    second = order(
        client, customer_b, [{"product": cup["id"]}], ordered_at="2026-03-01T10:00:00+08:00"
    )
    assert second.status_code == 201
    c = Customer.objects.get(pk=customer_b["id"])
    assert c.order_count == 2
    assert c.total_spent == Decimal("212.00")
    assert c.average_order_value == Decimal("106.00")
    assert c.first_purchase_at.isoformat().startswith("2026-01-05T02:00")
    assert c.last_purchase_at.isoformat().startswith("2026-03-01T02:00")

    # Cancelling an order takes it out of the purchases.
    cancelled = client.patch(
        f"/api/v1/orders/{second.json()['id']}/",
        {"status": "cancelled", "version": 1},
        format="json",
    )
    assert cancelled.status_code == 200, cancelled.json()
    c.refresh_from_db()
    assert (c.order_count, c.total_spent) == (1, Decimal("192.00"))
    assert client.delete(f"/api/v1/orders/{first.json()['id']}/").status_code == 403
    admin = api(two_teams.admin)
    assert admin.delete(f"/api/v1/orders/{first.json()['id']}/").status_code == 204
    c.refresh_from_db()
    assert (c.order_count, c.total_spent, c.last_purchase_at) == (0, Decimal("0"), None)


def test_full_rebuild_gives_the_same_aggregates_as_the_incremental_updates(
    two_teams, api, catalogue, customer_b, django_capture_on_commit_callbacks
):
    tea, _cup = catalogue
    client = api(two_teams.rep_b)
    for qty in ("1", "3", "2.5"):
        order(client, customer_b, [{"product": tea["id"], "quantity": qty}])
    before = Customer.objects.values(
        "order_count", "total_spent", "average_order_value", "first_purchase_at", "last_purchase_at"
    ).get(pk=customer_b["id"])
    Customer.objects.update(order_count=0, total_spent=0, first_purchase_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        job = api(two_teams.admin).post(
            "/api/v1/jobs/", {"kind": "customers.rebuild_aggregates"}, format="json"
        )
    assert job.status_code == 202, job.json()
    status = api(two_teams.admin).get(f"/api/v1/jobs/{job.json()['id']}/").json()
    assert status["status"] == "succeeded" and status["percent"] == 100
    after = Customer.objects.values(*before).get(pk=customer_b["id"])
    assert after == before
    assert before["total_spent"] == Decimal("575.25")


def test_rebuild_job_is_for_administrators_and_jobs_are_private(two_teams, api):
    assert (
        api(two_teams.rep_a)
        .post("/api/v1/jobs/", {"kind": "customers.rebuild_aggregates"}, format="json")
        .status_code
        == 403
    )
    job = api(two_teams.admin).post(
        "/api/v1/jobs/", {"kind": "customers.rebuild_aggregates"}, format="json"
    )
    assert api(two_teams.rep_a).get(f"/api/v1/jobs/{job.json()['id']}/").status_code == 404


def test_rep_cannot_see_or_order_for_another_teams_customer(two_teams, api, catalogue, customer_b):
    tea, _cup = catalogue
    made = order(api(two_teams.rep_b), customer_b, [{"product": tea["id"]}])
    rep_a = api(two_teams.rep_a)
    assert rep_a.get("/api/v1/orders/").json()["results"] == []
    assert rep_a.get(f"/api/v1/orders/{made.json()['id']}/").status_code == 404
    refused = order(rep_a, customer_b, [{"product": tea["id"]}])
    assert refused.status_code == 400 and "customer" in refused.json()
    assert Customer.objects.get(pk=customer_b["id"]).order_count == 1


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"product": 99999}],
        [{"product": "x"}],
        [{"quantity": "1"}],
        "not a list",
        [{"product": 1, "quantity": "-1"}],
        [{"product": 1, "quantity": "abc"}],
        [{"product": 1, "unit_price": "1e400"}],
    ],
)
def test_bad_order_lines_answer_400(two_teams, api, catalogue, customer_b, lines):
    response = order(api(two_teams.rep_b), customer_b, lines)
    assert response.status_code == 400, response.content


def test_money_is_decimal_with_currency(two_teams, api, catalogue, customer_b):
    tea, _cup = catalogue
    made = order(api(two_teams.rep_b), customer_b, [{"product": tea["id"], "quantity": "3"}])
    body = made.json()
    assert body["currency"] == "CNY"
    assert body["total"] == "265.50"
    assert body["lines"][0]["amount"] == "265.50"


def test_products_are_managed_by_roles_that_may(two_teams, api, catalogue):
    rep = api(two_teams.rep_a)
    assert len(rep.get("/api/v1/products/").json()["results"]) == 2
    denied = rep.post(
        "/api/v1/products/", {"sku": "X", "name": "X", "unit_price": "1"}, format="json"
    )
    assert denied.status_code == 403
    dup = api(two_teams.admin).post(
        "/api/v1/products/", {"sku": "TEA-1", "name": "Again", "unit_price": "1"}, format="json"
    )
    assert dup.status_code == 400 and "sku" in dup.json()


def test_product_used_in_orders_cannot_be_deleted(two_teams, api, catalogue, customer_b):
    tea, _cup = catalogue
    order(api(two_teams.rep_b), customer_b, [{"product": tea["id"]}])
    response = api(two_teams.admin).delete(f"/api/v1/products/{tea['id']}/")
    assert response.status_code == 400


def test_stale_order_update_answers_409(two_teams, api, catalogue, customer_b):
    tea, _cup = catalogue
    client = api(two_teams.rep_b)
    made = order(client, customer_b, [{"product": tea["id"]}]).json()
    url = f"/api/v1/orders/{made['id']}/"
    assert client.patch(url, {"notes": "a", "version": 1}, format="json").status_code == 200
    stale = client.patch(url, {"notes": "b", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2


def test_refresh_one_customer_leaves_the_others_alone(two_teams, api, catalogue):
    tea, _cup = catalogue
    client = api(two_teams.rep_b)
    one = client.post("/api/v1/customers/", {"display_name": "A"}, format="json").json()
    two = client.post("/api/v1/customers/", {"display_name": "B"}, format="json").json()
    order(client, one, [{"product": tea["id"]}])
    order(client, two, [{"product": tea["id"]}])
    Customer.objects.filter(pk=two["id"]).update(order_count=42)
    aggregates.refresh_order_aggregates([one["id"]])
    assert Customer.objects.get(pk=two["id"]).order_count == 42
    assert Customer.objects.get(pk=one["id"]).order_count == 1


def test_average_order_value_keeps_its_cents_when_totals_are_whole(
    two_teams, api, catalogue, customer_b
):
    """Whole-yuan totals are integers in SQLite; the average must not be integer division."""
    _tea, cup = catalogue
    client = api(two_teams.rep_b)
    for price in ("100", "100", "101"):
        order(client, customer_b, [{"product": cup["id"], "unit_price": price}])
    c = Customer.objects.get(pk=customer_b["id"])
    assert c.average_order_value == Decimal("100.33")


def test_every_record_has_its_history_behind_the_same_gate(two_teams, api, catalogue, customer_b):
    tea, _cup = catalogue
    admin = api(two_teams.admin)
    admin.patch(f"/api/v1/products/{tea['id']}/", {"name": "西湖龙井", "version": 1}, format="json")
    history = admin.get(f"/api/v1/products/{tea['id']}/history/").json()["results"]
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["changes"]["name"] == ["龙井茶", "西湖龙井"]
    made = order(api(two_teams.rep_b), customer_b, [{"product": tea["id"]}]).json()
    assert api(two_teams.rep_b).get(f"/api/v1/orders/{made['id']}/history/").status_code == 200
    assert api(two_teams.rep_a).get(f"/api/v1/orders/{made['id']}/history/").status_code == 404
