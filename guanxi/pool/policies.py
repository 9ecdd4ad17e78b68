"""Who sees the public pool and who may claim from it or return to it, written once.

The pool holds the live customers without an owner. A user whose role may view customers sees
the pool of their own team (customers of that team without an owner), the pools of the teams
they manage when their role's scope is the team, every pool when it is all, and the customers
of no team, which belong to everyone's pool. This is the only way a user sees a customer outside
their scope, and only its name, region, industry and last activity: its contact points are
masked until it is claimed.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm, managed_team_ids
from guanxi.customers.models import Customer
from guanxi.customers.policies import can_edit


def pool_visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active or not has_perm(user, "customers", "view"):
        return Q(pk__in=[])
    base = Q(owner__isnull=True, deleted_at__isnull=True)
    scope = data_scope(user)
    if scope == DataScope.ALL:
        return base
    teams = set(managed_team_ids(user)) if scope == DataScope.TEAM else set()
    if user.team_id:
        teams.add(user.team_id)
    return base & (Q(team__isnull=True) | Q(team_id__in=sorted(teams)))


def may_claim(user: User) -> bool:
    """Claiming makes the user the owner: it takes the right to change customers."""
    return has_perm(user, "customers", "change")


def may_return(user: User, customer: Customer) -> bool:
    """The owner returns their own customer; a manager over it (team or all) may too."""
    if not has_perm(user, "customers", "change") or customer.owner_id is None:
        return False
    if customer.owner_id == user.pk:
        return True
    return data_scope(user) != DataScope.OWN and can_edit(user, customer)


def claim_cap(user: User) -> int:
    """How many live customers the user may hold when claiming (0: no cap)."""
    code = user.role.code if user.role_id else ""
    return int(settings.POOL_CLAIM_CAP_BY_ROLE.get(code, settings.POOL_CLAIM_CAP))
