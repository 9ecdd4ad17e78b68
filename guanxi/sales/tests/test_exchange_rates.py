"""Orders in other currencies are valued in the base currency at the rate of their day, and
revenue, customers' spend and profit add only base-currency amounts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.analytics import services as analytics
from guanxi.analytics.models import CustomerScore
from guanxi.audit.models import AuditEvent
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.jobs.models import Job
from guanxi.reports.charts import figures_revenue
from guanxi.sales import services
from guanxi.sales.models import ExchangeRate, Order
from guanxi.sales.rates import rate_from, rate_on
from guanxi.sales.selectors import currencies_without_rate

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def day(n: int) -> dt.date:
    return dt.date(2026, 3, n)


def at(n: int, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, n, hour))


@pytest.fixture
def shop(two_teams):
    admin = two_teams.admin
    tea = services.save_product(
        actor=admin,
        product=None,
        data={"sku": "TEA", "name": "Tea", "unit_price": Decimal("10"), "currency": "USD"},
    )
    customer = Customer.objects.create(
        display_name="Acme", owner=two_teams.rep_a, team=two_teams.rep_a.team
    )
    two_teams.tea, two_teams.customer = tea, customer
    return two_teams


def usd_order(shop, when: dt.datetime, quantity: int = 1) -> Order:
    return services.create_order(
        actor=shop.admin,
        data={
            "customer": shop.customer,
            "ordered_at": when,
            "currency": "USD",
            "status": "paid",
            "lines": [{"product": shop.tea, "quantity": quantity}],
        },
    )


def enter_rate(shop, currency: str, valid_from: dt.date, rate: str) -> ExchangeRate:
    return services.save_exchange_rate(
        actor=shop.admin,
        rate=None,
        data={"currency": currency, "valid_from": valid_from, "rate": Decimal(rate)},
    )


def test_the_rate_of_a_day_is_the_latest_from_that_day_or_before_and_the_first_before_it():
    rates = [(day(5), Decimal("7")), (day(10), Decimal("8"))]
    assert rate_from(rates, day(5)) == Decimal("7")
    assert rate_from(rates, day(9)) == Decimal("7")
    assert rate_from(rates, day(10)) == Decimal("8")
    assert rate_from(rates, day(31)) == Decimal("8")
    assert rate_from(rates, day(1)) == Decimal("7")  # before the first: the first
    assert rate_from([], day(1)) is None
    assert rate_on("CNY", day(1)) == Decimal("1")  # the base currency is worth itself
    assert rate_on("USD", day(1)) is None


def test_an_order_in_a_currency_without_a_rate_is_refused_with_what_to_do(shop):
    with pytest.raises(ValidationError) as caught:
        usd_order(shop, at(5))
    message = caught.value.message_dict["currency"][0]
    assert "USD" in message and "Exchange rates" in message
    assert not Order.objects.exists()


def test_an_order_is_valued_at_the_rate_of_its_day_and_the_spend_is_in_the_base_currency(shop):
    enter_rate(shop, "USD", day(1), "7.1")
    enter_rate(shop, "USD", day(10), "7.2")
    first = usd_order(shop, at(5), quantity=3)  # 30 USD at 7.1
    second = usd_order(shop, at(12))  # 10 USD at 7.2
    assert (first.total, first.exchange_rate, first.total_base) == (
        Decimal("30.00"),
        Decimal("7.1"),
        Decimal("213.00"),
    )
    assert second.total_base == Decimal("72.00")
    customer = Customer.objects.get(pk=shop.customer.pk)
    assert customer.order_count == 2
    assert customer.total_spent == Decimal("285.00")
    assert customer.average_order_value == Decimal("142.50")


def test_the_rate_of_an_order_day_is_taken_in_the_business_time_zone(shop):
    enter_rate(shop, "USD", day(1), "7")
    enter_rate(shop, "USD", day(10), "8")
    # 9 March 20:00 UTC is already 10 March in Shanghai.
    late = timezone.make_aware(dt.datetime(2026, 3, 9, 20), dt.UTC)
    assert usd_order(shop, late).exchange_rate == Decimal("8")


def test_entering_changing_and_deleting_a_rate_values_the_orders_again(shop):
    enter_rate(shop, "USD", day(1), "7")
    order = usd_order(shop, at(12))
    assert order.total_base == Decimal("70.00")

    later = enter_rate(shop, "USD", day(10), "8")  # now the rate of the order's day
    order.refresh_from_db()
    assert (order.exchange_rate, order.total_base) == (Decimal("8"), Decimal("80.00"))
    assert Customer.objects.get(pk=shop.customer.pk).total_spent == Decimal("80.00")

    later = services.save_exchange_rate(
        actor=shop.admin, rate=later, data={"rate": Decimal("9")}, version=later.version
    )
    order.refresh_from_db()
    assert order.total_base == Decimal("90.00")
    assert Customer.objects.get(pk=shop.customer.pk).total_spent == Decimal("90.00")

    services.delete_exchange_rate(actor=shop.admin, rate=later)
    order.refresh_from_db()
    assert order.total_base == Decimal("70.00")
    assert Customer.objects.get(pk=shop.customer.pk).total_spent == Decimal("70.00")


def test_the_last_rate_of_a_currency_that_orders_use_cannot_be_deleted(shop):
    only = enter_rate(shop, "USD", day(1), "7")
    usd_order(shop, at(5))
    with pytest.raises(ValidationError, match="before deleting its last one"):
        services.delete_exchange_rate(actor=shop.admin, rate=only)
    assert ExchangeRate.objects.filter(pk=only.pk).exists()
    unused = enter_rate(shop, "EUR", day(1), "7.8")
    services.delete_exchange_rate(actor=shop.admin, rate=unused)  # no EUR order: fine
    assert not ExchangeRate.objects.filter(pk=unused.pk).exists()


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"currency": "CNY"}, "currency", "base currency"),
        ({"currency": "人民币"}, "currency", "three-letter"),
        ({"currency": "US"}, "currency", "three-letter"),
        ({"rate": Decimal("0")}, "rate", "above zero"),
        ({"rate": Decimal("-1")}, "rate", "above zero"),
        ({"valid_from": "not a day"}, "valid_from", ""),
    ],
)
def test_a_bad_rate_is_refused_beside_its_field(shop, data, field, text):
    good = {"currency": "USD", "valid_from": day(1), "rate": Decimal("7")}
    with pytest.raises(ValidationError) as caught:
        services.save_exchange_rate(actor=shop.admin, rate=None, data=good | data)
    assert text in caught.value.message_dict[field][0]
    assert not ExchangeRate.objects.exists()


def test_one_rate_per_currency_and_day(shop):
    enter_rate(shop, "USD", day(1), "7")
    with pytest.raises(ValidationError) as caught:
        enter_rate(shop, "usd", day(1), "7.5")
    assert "already has a rate from this day" in caught.value.message_dict["valid_from"][0]


def test_rates_are_kept_by_those_who_manage_products_and_audited(shop):
    with pytest.raises(PermissionDeniedError):
        services.save_exchange_rate(
            actor=shop.rep_a,
            rate=None,
            data={"currency": "USD", "valid_from": day(1), "rate": Decimal("7")},
        )
    rate = enter_rate(shop, "USD", day(1), "7")
    with pytest.raises(PermissionDeniedError):
        services.delete_exchange_rate(actor=shop.rep_a, rate=rate)
    events = AuditEvent.objects.filter(object_type="sales.exchangerate", object_id=str(rate.pk))
    assert events.count() == 1


def test_a_stale_edit_of_a_rate_is_refused(shop):
    from guanxi.core.errors import ConflictError

    rate = enter_rate(shop, "USD", day(1), "7")
    services.save_exchange_rate(actor=shop.admin, rate=rate, data={"rate": "7.2"}, version=1)
    with pytest.raises(ConflictError):
        services.save_exchange_rate(actor=shop.admin, rate=rate, data={"rate": "7.3"}, version=1)


def test_revenue_adds_orders_in_the_base_currency(shop):
    enter_rate(shop, "USD", day(1), "7")
    usd_order(shop, at(5))  # 10 USD = 70 CNY
    figures = figures_revenue(Order.objects.all())
    # (the month is "2026-03" on SQLite and a date on PostgreSQL: one month either way)
    assert [v for k, v in figures.items() if k[-1] == "revenue"] == [Decimal("70.00")]


def test_costs_are_valued_at_todays_rate_and_a_rate_change_rebuilds_them(shop):
    enter_rate(shop, "USD", day(1), "7")
    shop.tea = services.save_product(
        actor=shop.admin,
        product=shop.tea,
        data={"unit_cost": Decimal("4")},
        version=shop.tea.version,
    )
    usd_order(shop, at(5), quantity=2)  # cost 8 USD
    analytics.rebuild_costs()
    assert CustomerScore.objects.get(customer=shop.customer).cost_total == Decimal("56.00")
    Job.objects.all().delete()
    enter_rate(shop, "USD", timezone.localdate(), "7.5")
    assert Job.objects.filter(kind="analytics.rebuild_costs").count() == 1
    analytics.rebuild_costs()
    assert CustomerScore.objects.get(customer=shop.customer).cost_total == Decimal("60.00")


def test_currencies_that_orders_or_products_use_without_a_rate_are_listed(shop):
    assert currencies_without_rate(user=shop.admin) == [
        {"currency": "USD", "orders": 0, "products": 1}
    ]
    enter_rate(shop, "USD", day(1), "7")
    assert currencies_without_rate(user=shop.admin) == []


def test_a_rep_counts_only_the_orders_of_customers_they_may_see_without_a_rate(shop):
    Order.objects.create(
        customer=shop.customer, number="OLD-1", ordered_at=at(5), currency="USD", total=10
    )  # from before rates existed: no value
    theirs = {"currency": "USD", "orders": 1, "products": 1}
    assert currencies_without_rate(user=shop.rep_a) == [theirs]  # rep A's customer
    assert currencies_without_rate(user=shop.rep_b) == [theirs | {"orders": 0}]


# --- API --------------------------------------------------------------------------------------


def test_rates_through_the_api(shop, api):
    admin = api(shop.admin)
    created = admin.post(
        "/api/v1/exchange-rates/",
        {"currency": "usd", "valid_from": "2026-03-01", "rate": "7.1"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["currency"], body["rate"], body["version"]) == ("USD", "7.10000000", 1)
    order = usd_order(shop, at(5))
    got = admin.get(f"/api/v1/orders/{order.pk}/").json()
    assert (got["exchange_rate"], got["total_base"]) == ("7.10000000", "71.00")

    url = f"/api/v1/exchange-rates/{body['id']}/"
    assert admin.patch(url, {"rate": "7.2", "version": 1}, format="json").status_code == 200
    assert admin.patch(url, {"rate": "7.3", "version": 1}, format="json").status_code == 409
    order.refresh_from_db()
    assert order.total_base == Decimal("72.00")

    taken = admin.post(
        "/api/v1/exchange-rates/",
        {"currency": "USD", "valid_from": "2026-03-01", "rate": "7"},
        format="json",
    )
    assert taken.status_code == 400 and "valid_from" in taken.json()
    zero = admin.patch(url, {"rate": "0", "version": 2}, format="json", **EN)
    assert zero.json() == {"rate": ["Enter a rate above zero."]}
    last = admin.delete(url)
    assert last.status_code == 400


def test_a_sales_rep_reads_rates_but_cannot_change_them_through_the_api(shop, api):
    enter_rate(shop, "USD", day(1), "7")
    rep = api(shop.rep_a)
    assert len(rep.get("/api/v1/exchange-rates/").json()["results"]) == 1
    refused = rep.post(
        "/api/v1/exchange-rates/",
        {"currency": "EUR", "valid_from": "2026-03-01", "rate": "7.8"},
        format="json",
    )
    assert refused.status_code == 403
    assert not ExchangeRate.objects.filter(currency="EUR").exists()


# --- pages ------------------------------------------------------------------------------------


def test_the_rates_page_lists_rates_and_warns_of_currencies_without_one(shop, client):
    client.force_login(shop.admin)
    page = client.get(reverse("sales:exchange_rate_list"), **EN).content.decode()
    assert "Currencies without a rate" in page and "USD" in page
    response = client.post(
        reverse("sales:exchange_rate_create"),
        {"currency": "usd", "valid_from": "2026-03-01", "rate": "7.10"},
        **EN,
    )
    assert response.status_code == 302
    page = client.get(reverse("sales:exchange_rate_list"), **EN).content.decode()
    assert "Currencies without a rate" not in page and "7.1<" in page


def test_the_rate_form_shows_mistakes_beside_their_fields(shop, client):
    client.force_login(shop.admin)
    response = client.post(
        reverse("sales:exchange_rate_create"),
        {"currency": "CNY", "valid_from": "2026-03-01", "rate": "1"},
        **EN,
    )
    assert response.status_code == 400
    assert "CNY is the base currency" in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_deleting_the_last_rate_in_use_says_why_on_the_page(shop, client):
    rate = enter_rate(shop, "USD", day(1), "7")
    usd_order(shop, at(5))
    client.force_login(shop.admin)
    response = client.post(reverse("sales:exchange_rate_delete", args=[rate.pk]), follow=True, **EN)
    assert "before deleting its last one" in response.content.decode()
    assert ExchangeRate.objects.filter(pk=rate.pk).exists()


def test_a_sales_rep_cannot_open_the_rate_form(shop, client):
    client.force_login(shop.rep_a)
    assert client.get(reverse("sales:exchange_rate_list")).status_code == 200
    assert client.get(reverse("sales:exchange_rate_create")).status_code == 403


def test_the_order_page_shows_the_value_in_the_base_currency(shop, client):
    enter_rate(shop, "USD", day(1), "7.1")
    order = usd_order(shop, at(5))
    client.force_login(shop.admin)
    page = client.get(reverse("sales:order_detail", args=[order.pk]), **EN).content.decode()
    assert "71.00 CNY" in page and "1 USD = 7.1 CNY" in page
