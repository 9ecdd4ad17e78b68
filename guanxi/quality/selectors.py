"""Reading data quality: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_list

from . import rules
from .models import ChangeRequest, RequestStatus, SelfServiceLink
from .policies import may_manage_links, request_visible_q
from .services import stale_q

MODES = ("any", "stale", "incomplete", "both")
SORTS = {"completeness": "completeness", "verified": "verified_at"}


def quality_list(
    *,
    user: User,
    mode: str = "any",
    below: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Customer]:
    """Customers the user may see that are stale (due for their grade's check), incomplete
    (completeness below `below`, by default the configured threshold), either ("any") or
    both at once ("both")."""
    row = rules.current()
    below = row.incomplete_below if below is None else below
    qs = customer_list(user=user)
    stale = stale_q(row, now or timezone.now())
    if mode == "stale":
        return qs.filter(stale)
    if mode == "incomplete":
        return qs.filter(completeness__lt=below)
    if mode == "both":
        return qs.filter(stale, completeness__lt=below)
    return qs.filter(stale | Q(completeness__lt=below))


def request_list(*, user: User, status: str | None = RequestStatus.PENDING) -> QuerySet:
    qs = ChangeRequest.objects.filter(request_visible_q(user))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("customer", "decided_by")


def request_get(*, user: User, pk: int) -> ChangeRequest:
    """ChangeRequest.DoesNotExist outside the user's scope (a 404 to every adapter)."""
    return request_list(user=user, status=None).get(pk=pk)


def pending_for(*, user: User, customer: Customer) -> list[ChangeRequest]:
    return list(request_list(user=user).filter(customer_id=customer.pk)[:20])


def links_for(*, user: User, customer: Customer) -> list[SelfServiceLink]:
    if not may_manage_links(user, customer):
        return []
    return list(SelfServiceLink.objects.filter(customer_id=customer.pk)[:10])
