"""Reading the audit log: a record's history is seen by those who may see the record."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.customers.models import Customer

from .models import AuditEvent

# The module whose view permission a customer's events of each record type need.
EVENT_MODULES = {
    "customers.customer": "customers",
    "customers.note": "customers",
    "customers.contact": "contacts",
    "interactions.interaction": "interactions",
    "sales.order": "orders",
    "followups.task": "tasks",
    "tickets.ticket": "tickets",
    "needs.need": "needs",
    "care.careprofile": "customers",
    "pool.poolevent": "customers",
}


def customer_history(*, user: User, customer: Customer) -> QuerySet[AuditEvent]:
    """Events of a customer and of its contacts, interactions, orders and notes, newest first,
    of the record types the user's role may view.

    `customer` must come from a customer selector for `user` (the gate has been passed)."""
    types = [t for t, module in EVENT_MODULES.items() if has_perm(user, module, "view")]
    return AuditEvent.objects.filter(customer_id=customer.pk, object_type__in=types).select_related(
        "actor"
    )


def record_history(*, user: User, instance) -> QuerySet[AuditEvent]:
    """Events of one record, newest first. `instance` must come from a selector for `user`."""
    return AuditEvent.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    ).select_related("actor")


def audit_log(*, user: User) -> QuerySet[AuditEvent]:
    """Every event of the log, newest first: administrators only (no one else gets any)."""
    if not is_admin(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")
