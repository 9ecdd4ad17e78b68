"""Who sees a need: whoever may see its customer (the customers gate); admins see all."""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import is_admin
from guanxi.customers.policies import visible_q


def need_visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = Q(customer__deleted_at__isnull=True)
    if is_admin(user):
        return live
    return live & visible_q(user, "customer__")
