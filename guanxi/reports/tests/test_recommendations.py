"""Product co-occurrence scores and recommendations on a tiny hand-computed basket set.

Baskets (customer: products ever bought): c1 {A, B}, c2 {A, B, C}, c3 {A, C}, c4 {B}, x {A}.
Buyers: A 4, B 3, C 2, of 5 customers. Pairs with support >= 2:
A→B 2 (conf 2/4 = .5, lift .5 / (3/5) = .8333), A→C 2 (.5, lift .5 / (2/5) = 1.25),
B→A 2 (2/3, lift (2/3) / (4/5) = .8333), C→A 2 (1.0, lift 1 / (4/5) = 1.25).
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.customers.models import Customer
from guanxi.reports import services
from guanxi.reports.models import ProductAffinity
from guanxi.reports.selectors import recommendations
from guanxi.sales.models import Order, OrderLine, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.p = {k: Product.objects.create(sku=k, name=f"P{k}", unit_price=1) for k in "ABCD"}
    baskets = {"c1": "AB", "c2": "ABC", "c3": "AC", "c4": "B", "x": "A"}
    w.c = {}
    n = 0
    for name, items in baskets.items():
        owner = w.rep_a if name == "x" else w.rep_b
        w.c[name] = Customer.objects.create(display_name=name, owner=owner, team=owner.team)
        for item in items:
            n += 1
            o = Order.objects.create(
                customer=w.c[name], number=f"N{n}", status="paid", ordered_at=timezone.now()
            )
            OrderLine.objects.create(order=o, product=w.p[item], quantity=1, unit_price=1, amount=1)
    # A cancelled order is not a purchase: x did not "buy" D.
    o = Order.objects.create(
        customer=w.c["x"],
        number="cancel",
        status="cancelled",
        ordered_at=timezone.now() - dt.timedelta(days=1),
    )
    OrderLine.objects.create(order=o, product=w.p["D"], quantity=1, unit_price=1, amount=1)
    return w


def scores():
    return {
        (a.product.sku, a.other.sku): (
            a.together,
            a.buyers,
            round(a.confidence, 4),
            round(a.lift, 4),
        )
        for a in ProductAffinity.objects.select_related("product", "other")
    }


def test_pair_scores(world):
    services.compute_affinity(min_support=2)
    assert scores() == {
        ("A", "B"): (2, 4, 0.5, 0.8333),
        ("A", "C"): (2, 4, 0.5, 1.25),
        ("B", "A"): (2, 3, 0.6667, 0.8333),
        ("C", "A"): (2, 2, 1.0, 1.25),
    }
    services.compute_affinity(min_support=1)
    assert scores()[("B", "C")] == (1, 3, 0.3333, 0.8333)
    assert len(scores()) == 6


def test_recommendations_for_a_customer(world, django_assert_num_queries):
    services.compute_affinity(min_support=2)
    with translation.override("en"), django_assert_num_queries(1):
        items = recommendations(user=world.rep_a, customer=world.c["x"])
        lines = [i.explanation for i in items]
    assert [i.product.sku for i in items] == ["C", "B"]  # same confidence, C has more lift
    assert lines[0] == "50% of customers who bought PA also bought PC."
    # c1 bought A and B: only C is new to them.
    c1 = world.c["c1"]
    assert [i.product.sku for i in recommendations(user=world.rep_b, customer=c1)] == ["C"]


def test_api_goes_through_the_customers_gate(world, api):
    services.compute_affinity(min_support=2)
    url = reverse("api-customer-recommendations", args=[world.c["x"].pk])
    resp = api(world.rep_a).get(url)
    assert resp.status_code == 200
    first = resp.json()["results"][0]
    # The share is the reason; the count of customers behind it is a count over the whole
    # base, which a rep (who sees their own customers) does not get.
    assert first["product_name"] == "PC" and first["confidence"] == 0.5
    assert first["customers"] is None
    everyone = api(world.admin).get(url).json()["results"][0]
    assert everyone["customers"] == 2
    assert api(world.rep_b).get(url).status_code == 404
    bogus = reverse("api-customer-recommendations", args=[999999])
    assert api(world.rep_a).get(bogus).status_code == 404


def test_card_on_the_360_page(world, client):
    services.compute_affinity(min_support=2)
    client.force_login(world.rep_a)
    body = client.get(
        reverse("customers:detail", args=[world.c["x"].pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="recommendations"' in body
    assert "50% of customers who bought PA also bought PC." in body


def test_job_handler_runs(world):
    from guanxi.jobs.services import execute, start_job

    job = start_job(kind="reports.compute_affinity", params={"min_support": 2})
    job = execute(str(job.pk))
    assert job.result["rows"] == 4
    job = execute(str(start_job(kind="reports.refresh_summary").pk))
    assert job.result["rows"] > 0
