"""Reading data quality: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import User
from guanxi.customers.masking import present
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_list

from . import rules
from .models import ChangeRequest, RequestStatus, SelfServiceLink
from .policies import links_managed_q, may_manage_links, request_visible_q
from .services import current_values, stale_q

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


def decidable_customer_ids(*, user: User, requests: list[ChangeRequest]) -> set[int]:
    """The customers of `requests` (read through request_list) whose requests the user may
    decide: for a page of requests in one query."""
    ids = {r.customer_id for r in requests}
    if not ids:
        return set()
    return set(
        Customer.objects.filter(links_managed_q(user), pk__in=ids).values_list("pk", flat=True)
    )


def pending_for(*, user: User, customer: Customer) -> list[ChangeRequest]:
    return list(request_list(user=user).filter(customer_id=customer.pk)[:20])


def link_list(*, user: User, customer: Customer) -> QuerySet[SelfServiceLink]:
    """The self-service links of a customer read through a selector, newest first; none for a
    user who may not manage them (they carry where they were sent)."""
    if not may_manage_links(user, customer):
        return SelfServiceLink.objects.none()
    return SelfServiceLink.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")


def links_for(*, user: User, customer: Customer) -> list[SelfServiceLink]:
    return list(link_list(user=user, customer=customer)[:10])


PROPOSAL_LABELS = {
    "display_name": gettext_lazy("name"),
    "mobile": gettext_lazy("mobile"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "province": gettext_lazy("province"),
    "city": gettext_lazy("city"),
    "district": gettext_lazy("district"),
    "street": gettext_lazy("street"),
    "postcode": gettext_lazy("postcode"),
    "birthday": gettext_lazy("birthday"),
    "marketing_consent": gettext_lazy("consents to marketing"),
}
_MASK_KIND = {"mobile": "mobile", "phone": "phone", "email": "email", "street": "street"}


@dataclass(frozen=True)
class ProposedChange:
    field: str
    label: str
    current: Any
    proposed: Any


def request_changes(*, user: User, request: ChangeRequest) -> list[ProposedChange]:
    """What a change request (read through request_list / request_get) proposes, field by
    field, beside the customer's data now; contact details masked for roles that see them
    masked, on every channel alike."""
    out = []
    current = current_values(request.customer)
    for field, value in request.proposed.items():
        before = current.get(field)
        kind = _MASK_KIND.get(field)
        if kind:
            before = present(user, kind, before or "")
            value = present(user, kind, value or "")
        out.append(ProposedChange(field, str(PROPOSAL_LABELS.get(field, field)), before, value))
    return out
