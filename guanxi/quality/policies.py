"""Who may do what in data quality, written once.

The settings are the administrator's. A self-service link for a customer, and the decision on
what a customer proposed through one, belong to whoever may change that customer; the change
requests are seen exactly when their customer is (customers.policies.visible_q).
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import is_admin
from guanxi.customers.models import Customer
from guanxi.customers.policies import editable_q, may, visible_q


def may_configure(user: User) -> bool:
    return is_admin(user)


def may_manage_links(user: User, customer: Customer) -> bool:
    return customer.deleted_at is None and may(user, "change", customer)


def links_managed_q(user: User) -> Q:
    """`may_manage_links` as a filter on customers the user sees."""
    if not may(user, "change"):
        return Q(pk__in=[])
    return Q(deleted_at__isnull=True) & editable_q(user)


def request_visible_q(user: User) -> Q:
    if not may(user, "view"):
        return Q(pk__in=[])
    return Q(customer__deleted_at__isnull=True) & visible_q(user, "customer__")
