"""Record-level visibility of customers: the one gate every read goes through.

A customer is seen by its owner, by the users and teams it is shared with, by users whose role
reaches the customer's team (their team and the teams below it), and by roles that see all.
Contacts, interactions and orders are seen exactly when their customer is.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm, managed_team_ids

from .models import Customer, CustomerShare


def visible_q(user: User, prefix: str = "") -> Q:
    """A filter for the customers `user` may see; `prefix` reaches them from another model
    (e.g. "customer__" for interactions)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    scope = data_scope(user)
    if scope == DataScope.ALL:
        return Q()
    shared = CustomerShare.objects.filter(user_id=user.pk)
    if user.team_id:
        shared = CustomerShare.objects.filter(Q(user_id=user.pk) | Q(team_id=user.team_id))
    q = Q(**{f"{prefix}owner_id": user.pk}) | Q(**{f"{prefix}id__in": shared.values("customer_id")})
    if scope == DataScope.TEAM:
        teams = managed_team_ids(user)
        if teams:
            q |= Q(**{f"{prefix}team_id__in": teams})
    return q


def can_see(user: User, customer: Customer) -> bool:
    return Customer.objects.filter(visible_q(user), pk=customer.pk).exists()


def can_edit(user: User, customer: Customer) -> bool:
    """Whether the user may change (and delete) this customer, given that they can see it.

    Owners, roles over the customer's team and roles that see all may; a share grants it only
    when it says so.
    """
    scope = data_scope(user)
    if scope == DataScope.ALL or customer.owner_id == user.pk:
        return True
    if scope == DataScope.TEAM and customer.team_id in managed_team_ids(user):
        return True
    shares = CustomerShare.objects.filter(customer=customer, can_edit=True)
    return shares.filter(Q(user_id=user.pk) | Q(team_id=user.team_id or -1)).exists()


def editable_q(user: User) -> Q:
    """`can_edit` as a filter, for many customers at once (a page of rows each saying whether
    the user may change its customer): of the customers the user sees, those they may change."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    scope = data_scope(user)
    if scope == DataScope.ALL:
        return Q()
    shares = CustomerShare.objects.filter(can_edit=True).filter(
        Q(user_id=user.pk) | Q(team_id=user.team_id or -1)
    )
    q = Q(owner_id=user.pk) | Q(id__in=shares.values("customer_id"))
    if scope == DataScope.TEAM:
        teams = managed_team_ids(user)
        if teams:
            q |= Q(team_id__in=teams)
    return q


def may(user: User, action: str, customer: Customer | None = None, module: str = "customers"):
    """Role permission for an action, and for a given customer the record-level right too."""
    if not has_perm(user, module, action):
        return False
    if customer is None or action in ("view", "export", "create"):
        return True
    return can_edit(user, customer)


def assignable_owner_q(user: User) -> Q:
    """The users a customer may be assigned to by `user`."""
    scope = data_scope(user)
    if scope == DataScope.ALL:
        return Q(is_active=True)
    if scope == DataScope.TEAM:
        return Q(is_active=True) & (Q(team_id__in=managed_team_ids(user)) | Q(pk=user.pk))
    return Q(pk=user.pk)
