import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


@pytest.fixture
def shop(two_teams):
    """A product with a cost, and customers of rep A and rep B with their orders written
    straight into the tables, then the aggregates refreshed (as the seeder does)."""
    from guanxi.customers import aggregates
    from guanxi.customers.models import Customer
    from guanxi.sales.models import Order, OrderLine, Product

    w = two_teams
    w.product = Product.objects.create(
        sku="TEA", name="Tea", unit_price=Decimal("100"), unit_cost=Decimal("60")
    )
    plans = {
        # name: (owner, days ago of each order)
        "Alpha": (w.rep_a, [300, 250, 200, 150, 100, 50, 10]),
        "Bravo": (w.rep_a, [400, 380, 360, 340]),
        "Charlie": (w.rep_b, [90, 60]),
        "Delta": (w.rep_b, [500]),
        "Echo": (w.rep_b, [30, 20, 12, 5]),
        "Foxtrot": (w.rep_a, []),
    }
    w.customers = {}
    n = 0
    for name, (owner, days) in plans.items():
        team = w.team_a if owner == w.rep_a else w.team_b
        c = Customer.objects.create(display_name=name, owner=owner, team=team)
        w.customers[name] = c
        for d in days:
            n += 1
            o = Order.objects.create(
                customer=c,
                number=f"T{n}",
                ordered_at=days_ago(d),
                total=Decimal("100") * (1 + n % 3),
                total_base=Decimal("100") * (1 + n % 3),
            )
            OrderLine.objects.create(
                order=o,
                product=w.product,
                quantity=1 + n % 3,
                unit_price=Decimal("100"),
                amount=Decimal("100") * (1 + n % 3),
            )
    Customer.objects.filter(pk=w.customers["Echo"].pk).update(referred_by=w.customers["Alpha"])
    aggregates.refresh_all()
    return w


@pytest.fixture
def now():
    return NOW


__all__ = ["NOW", "days_ago", "timezone"]
