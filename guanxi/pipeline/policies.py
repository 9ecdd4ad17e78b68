"""Who sees and who may change an opportunity, written once.

An opportunity is seen by whoever may see its customer (the customers gate) and by its owner;
administrators see them all. It is changed by its owner, by whoever may edit its customer and by
administrators, each within their role's rights on the `opportunities` module.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.customers.policies import can_edit, visible_q

from .models import Opportunity


def opportunity_visible_q(user: User, prefix: str = "") -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = Q(**{f"{prefix}customer__deleted_at__isnull": True})
    if is_admin(user):
        return live
    customers = visible_q(user, f"{prefix}customer__")
    if not customers:  # an empty Q: the user sees every customer (and `Q(a) | Q()` is Q(a))
        return live
    return live & (Q(**{f"{prefix}owner_id": user.pk}) | customers)


def may_change(user: User, opportunity: Opportunity, action: str = "change") -> bool:
    if not has_perm(user, "opportunities", action):
        return False
    if is_admin(user) or opportunity.owner_id == user.pk:
        return True
    return can_edit(user, opportunity.customer)
