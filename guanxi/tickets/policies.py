"""Who sees and who may change a ticket, written once.

A ticket is seen by whoever may see its customer (the customers gate) and by its assignee;
a role whose scope is the team (a service lead) also sees the tickets of the teams it manages,
the queue its agents work, whoever the customer belongs to; administrators see every ticket of
a live customer. It is changed, within the role's `tickets`
rights, by whoever sees it.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm, is_admin, managed_team_ids
from guanxi.customers.models import Customer
from guanxi.customers.policies import visible_q


def ticket_visible_q(user: User) -> Q:
    # "Not in the recycle bin" as a subquery over the (small) bin rather than a join condition,
    # so that lists walk their own (created_at, id) index instead of every live customer.
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = ~Q(customer_id__in=Customer.objects.filter(deleted_at__isnull=False).values("id"))
    if is_admin(user):
        return live
    customers = visible_q(user, "customer__")
    if not customers:  # a role that sees every customer (Q() would swallow the OR below)
        return live
    mine = Q(assignee_id=user.pk)
    teams = managed_team_ids(user) if data_scope(user) == DataScope.TEAM else []
    if teams:
        mine |= Q(team_id__in=teams)
    return live & (mine | customers)


def may(user: User, action: str) -> bool:
    return has_perm(user, "tickets", action)
