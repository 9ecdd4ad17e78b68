"""Who may scan, review and merge, written once.

- The scan of the whole base: administrators, and managers — roles whose data scope is their
  team or everything and that may change and delete customers. The job scans every customer
  (a duplicate may sit across teams), but what it found is shown to each user only where both
  customers are visible to them.
- A pair is seen when both its customers are live and visible to the user; it is decided (not a
  duplicate) by whoever may change both.
- A merge needs change rights on both customers and delete rights on the one merged away;
  its undo the same.
- The thresholds: administrators.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm, is_admin
from guanxi.customers.policies import may, visible_q

from .models import DuplicatePair


def may_scan(user: User) -> bool:
    if is_admin(user):
        return True
    return (
        data_scope(user) in (DataScope.TEAM, DataScope.ALL)
        and has_perm(user, "customers", "change")
        and has_perm(user, "customers", "delete")
    )


def pair_visible_q(user: User) -> Q:
    """Pairs whose two customers are live and visible to the user."""
    if not has_perm(user, "customers", "view"):
        return Q(pk__in=[])
    return (
        visible_q(user, "customer_a__")
        & visible_q(user, "customer_b__")
        & Q(customer_a__deleted_at__isnull=True, customer_b__deleted_at__isnull=True)
    )


def may_decide(user: User, pair: DuplicatePair) -> bool:
    return may(user, "change", pair.customer_a) and may(user, "change", pair.customer_b)


def may_merge(user: User, survivor, loser) -> bool:
    """Change rights on both customers and delete rights on the one merged away."""
    return (
        may(user, "change", survivor) and may(user, "change", loser) and may(user, "delete", loser)
    )
