"""Reading products and orders. Orders are seen exactly when their customer is; the product
catalogue is shared by everyone whose role may view products."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.policies import visible_q

from .models import ExchangeRate, Order, Product


def product_list(*, user: User) -> QuerySet[Product]:
    if not has_perm(user, "products", "view"):
        return Product.objects.none()
    return Product.objects.all()


def exchange_rate_list(*, user: User) -> QuerySet[ExchangeRate]:
    """Exchange rates belong with the catalogue's prices: whoever may view products sees them."""
    if not has_perm(user, "products", "view"):
        return ExchangeRate.objects.none()
    return ExchangeRate.objects.select_related("created_by")


def order_list(*, user: User) -> QuerySet[Order]:
    if not has_perm(user, "orders", "view"):
        return Order.objects.none()
    return Order.objects.filter(visible_q(user, "customer__"), customer__deleted_at__isnull=True)


def currencies_without_rate(*, user: User) -> list[dict[str, Any]]:
    """Currencies that the orders the user may see, or the products, use without any rate:
    their orders count in no revenue or customer total, their costs in no profit, until a rate
    is entered."""
    rated = set(ExchangeRate.objects.order_by().values_list("currency", flat=True).distinct())
    rated.add(settings.DEFAULT_CURRENCY)

    def per_currency(qs: QuerySet) -> dict[str, int]:
        return dict(
            qs.exclude(currency__in=rated)
            .order_by()
            .values_list("currency")
            .annotate(n=Count("id"))
        )

    orders = per_currency(order_list(user=user))
    products = per_currency(product_list(user=user))
    return [
        {"currency": code, "orders": orders.get(code, 0), "products": products.get(code, 0)}
        for code in sorted(set(orders) | set(products))
    ]
