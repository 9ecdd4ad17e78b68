"""Who sees a need: whoever may see its customer (the customers gate); admins see all."""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import is_admin
from guanxi.customers.models import Customer
from guanxi.customers.policies import visible_q


def need_visible_q(user: User) -> Q:
    # "Not in the recycle bin" as a subquery over the (small) bin rather than a join condition,
    # so that lists walk their own (created_at, id) index instead of every live customer.
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = ~Q(customer_id__in=Customer.objects.filter(deleted_at__isnull=False).values("id"))
    if is_admin(user):
        return live
    return live & visible_q(user, "customer__")
