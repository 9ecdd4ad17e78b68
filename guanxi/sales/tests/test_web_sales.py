"""Web pages of orders and products: each user sees only the orders of customers in their scope,
forms go through the services and lose nothing typed, lists cost the same whatever their length."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.customers import services as customer_services
from guanxi.sales import services
from guanxi.sales.models import Order, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(two_teams) -> Product:
    return services.save_product(
        actor=two_teams.admin,
        product=None,
        data={"sku": "TEA-1", "name": "龙井茶", "category": "茶叶", "unit_price": Decimal("88.00")},
    )


@pytest.fixture
def cust_a(two_teams):
    return customer_services.create_customer(actor=two_teams.rep_a, data={"display_name": "甲客户"})


@pytest.fixture
def cust_b(two_teams):
    return customer_services.create_customer(actor=two_teams.rep_b, data={"display_name": "乙客户"})


def order(user, customer, product, **data) -> Order:
    lines = data.pop("lines", [{"product": product, "quantity": 1}])
    return services.create_order(actor=user, data={"customer": customer, "lines": lines, **data})


def line_post(customer, rows, **extra) -> dict:
    data = {
        "customer": str(customer.pk) if customer else "",
        "number": "",
        "status": "placed",
        "ordered_at": "",
        "currency": "CNY",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    data.update(extra)
    return data


# --- visibility ---------------------------------------------------------------------------


def test_rep_never_sees_another_teams_orders(two_teams, client, product, cust_a, cust_b):
    mine = order(two_teams.rep_a, cust_a, product, number="SO-A")
    theirs = order(two_teams.rep_b, cust_b, product, number="SO-B")
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("sales:order_list")).content.decode()
    assert "SO-A" in body and "SO-B" not in body
    assert client.get(reverse("sales:order_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("sales:order_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("sales:order_edit", args=[theirs.pk])).status_code == 404
    # filtering by the other team's customer shows nothing either
    body = client.get(reverse("sales:order_list"), {"customer": cust_b.pk}).content.decode()
    assert "SO-B" not in body


def test_manager_above_both_teams_sees_both(two_teams, client, product, cust_a, cust_b):
    order(two_teams.rep_a, cust_a, product, number="SO-A")
    order(two_teams.rep_b, cust_b, product, number="SO-B")
    client.force_login(two_teams.head_manager)
    body = client.get(reverse("sales:order_list")).content.decode()
    assert "SO-A" in body and "SO-B" in body


def test_rep_cannot_order_for_another_teams_customer(two_teams, client, product, cust_b):
    client.force_login(two_teams.rep_a)
    response = client.post(
        reverse("sales:order_create"), line_post(cust_b, [{"product": product.pk}])
    )
    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    assert not Order.objects.exists()


def test_role_without_orders_create_gets_403(two_teams, client):
    client.force_login(two_teams.analyst)
    assert client.get(reverse("sales:order_create")).status_code == 403
    assert client.get(reverse("sales:order_list")).status_code == 200


def test_orders_of_a_deleted_customer_are_hidden(two_teams, client, product, cust_a):
    o = order(two_teams.rep_a, cust_a, product, number="SO-GONE")
    customer_services.delete_customer(actor=two_teams.rep_a, customer=cust_a)
    client.force_login(two_teams.rep_a)
    assert "SO-GONE" not in client.get(reverse("sales:order_list")).content.decode()
    assert client.get(reverse("sales:order_detail", args=[o.pk])).status_code == 404


# --- filters and pagination ---------------------------------------------------------------


def test_order_list_filters_by_status_customer_and_dates(
    two_teams, client, product, cust_a, cust_b
):
    now = timezone.now()
    order(two_teams.admin, cust_a, product, number="SO-OLD", ordered_at=now - dt.timedelta(days=40))
    order(two_teams.admin, cust_a, product, number="SO-PAID", status="paid")
    order(two_teams.admin, cust_b, product, number="SO-B")
    client.force_login(two_teams.admin)
    url = reverse("sales:order_list")

    def numbers(**params):
        return {o.number for o in client.get(url, params).context["rows"]}

    assert numbers() == {"SO-OLD", "SO-PAID", "SO-B"}
    assert numbers(status="paid") == {"SO-PAID"}
    assert numbers(customer=cust_b.pk) == {"SO-B"}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert numbers(date_from=since) == {"SO-PAID", "SO-B"}
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert numbers(date_to=until) == {"SO-OLD"}


def test_bad_filter_values_are_reported_not_a_500(two_teams, client):
    client.force_login(two_teams.admin)
    response = client.get(
        reverse("sales:order_list"), {"status": "lost", "date_from": "not-a-date"}
    )
    assert response.status_code == 200
    assert "status" in response.context["filters"].errors
    assert "date_from" in response.context["filters"].errors


def test_order_list_pages_with_a_next_link(two_teams, client, product, cust_a, monkeypatch):
    from guanxi.sales import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for i in range(5):
        order(two_teams.rep_a, cust_a, product, number=f"SO-{i}")
    client.force_login(two_teams.rep_a)
    seen: list[str] = []
    url = reverse("sales:order_list")
    while url:
        response = client.get(url)
        seen += [o.number for o in response.context["rows"]]
        nxt = response.context["next_url"]
        url = reverse("sales:order_list") + nxt if nxt else None
    assert sorted(seen) == [f"SO-{i}" for i in range(5)]


@pytest.mark.parametrize("who", ["admin", "head_manager", "rep_a"])
def test_order_list_queries_do_not_grow_with_the_page(two_teams, client, product, cust_a, who):
    user = getattr(two_teams, who)
    client.force_login(user)
    for _i in range(2):
        order(two_teams.rep_a, cust_a, product)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:order_list"))
    for i in range(10):
        c = customer_services.create_customer(
            actor=two_teams.rep_a, data={"display_name": f"客{i}"}
        )
        order(two_teams.rep_a, c, product)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("sales:order_list"))
    assert len(response.context["rows"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_product_list_filters_and_queries(two_teams, client, product):
    client.force_login(two_teams.rep_a)
    url = reverse("sales:product_list")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        services.save_product(
            actor=two_teams.admin,
            product=None,
            data={
                "sku": f"S{i}",
                "name": f"产品{i}",
                "category": "配件" if i % 2 else "茶叶",
                "unit_price": Decimal("1"),
                "active": i != 3,
            },
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)
    rows = client.get(url, {"category": "配件"}).context["rows"]
    assert {p.sku for p in rows} == {"S1", "S3", "S5", "S7", "S9"}
    rows = client.get(url, {"active": "no"}).context["rows"]
    assert [p.sku for p in rows] == ["S3"]
    body = client.get(url).content.decode()
    assert reverse("sales:product_create") not in body  # a rep may not create products


# --- order form ---------------------------------------------------------------------------


def test_create_order_with_lines_and_default_price(two_teams, client, product, cust_a):
    client.force_login(two_teams.rep_a)
    response = client.post(
        reverse("sales:order_create"),
        line_post(
            cust_a,
            [
                {"product": product.pk, "quantity": "2", "unit_price": ""},
                {"product": product.pk, "quantity": "1", "unit_price": "50"},
            ],
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    o = Order.objects.get()
    assert response["Location"] == reverse("sales:order_detail", args=[o.pk])
    assert o.total == Decimal("226.00")  # 2 × 88 at the product's price + 50
    assert [line.unit_price for line in o.lines.order_by("id")] == [Decimal("88"), Decimal("50")]
    detail = client.get(response["Location"]).content.decode()
    assert "龙井茶" in detail and "226.00" in detail


def test_order_with_a_bad_line_keeps_what_was_typed(two_teams, client, product, cust_a):
    client.force_login(two_teams.rep_a)
    response = client.post(
        reverse("sales:order_create"),
        line_post(
            cust_a,
            [
                {"product": product.pk, "quantity": "3", "unit_price": "77.50"},
                {"product": product.pk, "quantity": "-1", "unit_price": "12.34"},
            ],
            notes="请周五前发货",
        ),
    )
    assert response.status_code == 400
    assert not Order.objects.exists()
    rows = response.context["formsets"]["lines"].forms
    assert "quantity" in rows[1].errors
    body = response.content.decode()
    assert "请周五前发货" in body
    assert 'value="77.50"' in body and 'value="12.34"' in body and 'value="-1"' in body


def test_service_error_on_a_line_lands_on_that_row(two_teams, client, cust_a):
    usd = services.save_product(
        actor=two_teams.admin,
        product=None,
        data={"sku": "USD-1", "name": "进口咖啡", "unit_price": Decimal("9"), "currency": "USD"},
    )
    client.force_login(two_teams.rep_a)
    response = client.post(
        reverse("sales:order_create"),
        line_post(cust_a, [{"product": usd.pk, "quantity": "1", "unit_price": ""}]),
    )
    assert response.status_code == 400
    row = response.context["formsets"]["lines"].forms[0]
    assert "unit_price" in row.errors  # priced in USD: enter the price in CNY


def test_order_without_lines_is_refused_with_a_message(two_teams, client, cust_a):
    client.force_login(two_teams.rep_a)
    response = client.post(reverse("sales:order_create"), line_post(cust_a, []))
    assert response.status_code == 400
    assert response.context["formsets"]["lines"].non_form_errors()


def test_add_a_line_keeps_the_form(two_teams, client, product, cust_a):
    client.force_login(two_teams.rep_a)
    response = client.post(
        reverse("sales:order_create"),
        line_post(cust_a, [{"product": product.pk, "quantity": "4"}], _add_row="lines"),
    )
    assert response.status_code == 200
    assert len(response.context["formsets"]["lines"].forms) == 2
    assert 'value="4"' in response.content.decode()


def test_edit_order_and_stale_version_shows_the_conflict_page(two_teams, client, product, cust_a):
    o = order(two_teams.rep_a, cust_a, product, number="SO-EDIT")
    client.force_login(two_teams.rep_a)
    page = client.get(reverse("sales:order_edit", args=[o.pk]))
    assert page.status_code == 200
    assert page.context["form"]["customer"].value() == cust_a.pk
    data = line_post(
        cust_a,
        [{"product": product.pk, "quantity": "5", "unit_price": "88.00"}],
        number="SO-EDIT",
        version=str(o.version),
    )
    # someone else changes it meanwhile
    services.update_order(actor=two_teams.admin, order=o, data={"notes": "改过"}, version=o.version)
    response = client.post(reverse("sales:order_edit", args=[o.pk]), data)
    assert response.status_code == 409
    o.refresh_from_db()
    assert o.total == Decimal("88.00")
    data["version"] = str(o.version)
    response = client.post(reverse("sales:order_edit", args=[o.pk]), data)
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.total == Decimal("440.00")


def test_new_order_from_a_customer_prefills_it(two_teams, client, cust_a):
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("sales:order_create"), {"customer": cust_a.pk})
    assert response.context["form"]["customer"].value() == cust_a.pk
    assert "甲客户" in response.content.decode()


# --- product form -------------------------------------------------------------------------


def test_rep_gets_403_on_product_forms(two_teams, client, product):
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("sales:product_create")).status_code == 403
    assert client.get(reverse("sales:product_edit", args=[product.pk])).status_code == 403
    response = client.post(
        reverse("sales:product_create"), {"sku": "X", "name": "X", "unit_price": "1"}
    )
    assert response.status_code == 403
    assert not Product.objects.filter(sku="X").exists()


def test_admin_creates_and_edits_a_product(two_teams, client, product):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("sales:product_create"),
        {"sku": "TEA-2", "name": "碧螺春", "unit_price": "66", "currency": "cny", "active": "on"},
    )
    assert response.status_code == 302
    new = Product.objects.get(sku="TEA-2")
    assert new.currency == "CNY"
    response = client.post(
        reverse("sales:product_edit", args=[new.pk]),
        {
            "sku": "TEA-2",
            "name": "碧螺春",
            "unit_price": "70",
            "currency": "CNY",
            "version": new.version,
        },
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.unit_price == Decimal("70") and new.active is False


def test_duplicate_sku_is_a_field_error(two_teams, client, product):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("sales:product_create"),
        {"sku": "TEA-1", "name": "重复", "unit_price": "1", "currency": "CNY"},
    )
    assert response.status_code == 400
    assert "sku" in response.context["form"].errors
    assert "重复" in response.content.decode()


def test_unreadable_cursor_shows_the_first_page(two_teams, client, product, cust_a):
    order(two_teams.rep_a, cust_a, product, number="SO-1")
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("sales:order_list"), {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert [o.number for o in response.context["rows"]] == ["SO-1"]


@pytest.mark.parametrize("customer", ["²", "9" * 30, "abc"])
def test_a_new_order_page_with_a_customer_that_is_no_id_opens_empty(client, two_teams, customer):
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("sales:order_create"), {"customer": customer})
    assert response.status_code == 200
