"""Reading the audit log: a record's history is seen by those who may see the record."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from .models import AuditEvent


def customer_history(*, user: User, customer: Customer) -> QuerySet[AuditEvent]:
    """Events of a customer and of its contacts, interactions and orders, newest first.

    `customer` must come from a customer selector for `user` (the gate has been passed)."""
    return AuditEvent.objects.filter(customer_id=customer.pk).select_related("actor")


def record_history(*, user: User, instance) -> QuerySet[AuditEvent]:
    """Events of one record, newest first. `instance` must come from a selector for `user`."""
    return AuditEvent.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    ).select_related("actor")
