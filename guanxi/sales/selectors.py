"""Reading products and orders. Orders are seen exactly when their customer is; the product
catalogue is shared by everyone whose role may view products."""

from __future__ import annotations

from django.db.models import QuerySet

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
