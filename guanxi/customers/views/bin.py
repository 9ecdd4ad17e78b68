"""The recycle bin (deleted customers, restorable until purged) and a customer's change history.

Adapters only: reads go through guanxi.customers.selectors and guanxi.audit.selectors, the
restore through guanxi.customers.services.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.audit.presentation import present_events
from guanxi.audit.selectors import customer_history
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers import selectors, services
from guanxi.customers.models import Customer

BIN_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 100


def _page(request: HttpRequest, qs: QuerySet, *, sort: str, per_page: int) -> dict[str, Any]:
    """One page (guanxi.core.keyset) and links to the pages beside it; an unreadable cursor
    shows the first page."""
    page = keyset.paginate_request(request, qs, sort=sort, per_page=per_page)
    return {"rows": page.rows, "next_url": page.next_url, "previous_url": page.previous_url}


@dataclass
class BinRow:
    customer: Customer
    days_left: int
    purge_at: dt.datetime


def _bin_row(customer: Customer, now: dt.datetime) -> BinRow:
    purge_at = customer.deleted_at + dt.timedelta(days=settings.RECYCLE_BIN_DAYS)
    days_left = max(0, math.ceil((purge_at - now).total_seconds() / 86400))
    return BinRow(customer=customer, days_left=days_left, purge_at=purge_at)


@login_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    """Deleted customers the user may see, newest deletion first."""
    qs = selectors.recycle_bin(user=request.user).select_related("deleted_by", "owner", "team")
    pager = _page(request, qs, sort="-deleted_at", per_page=BIN_PAGE_SIZE)
    customers = pager.pop("rows")
    now = timezone.now()
    return render(
        request,
        "customers/recycle_bin.html",
        {
            "rows": [_bin_row(c, now) for c in customers],
            "retention_days": settings.RECYCLE_BIN_DAYS,
            "may_restore": has_perm(request.user, "customers", "delete"),
            **pager,
        },
    )


@login_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Restore a customer from the bin; a refusal (e.g. its credit code is taken meanwhile)
    shows the service's message on the bin page."""
    try:
        customer = selectors.deleted_customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    try:
        services.restore_customer(actor=request.user, customer=customer)
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
        return redirect("customers:recycle_bin")
    except (PermissionDeniedError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("customers:recycle_bin")
    messages.success(request, _("%(name)s was restored.") % {"name": customer.display_name})
    return redirect("customers:recycle_bin")


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's audit events (its own and its contacts', interactions', orders'), newest
    first, with contact details masked for roles that may not see them."""
    try:
        customer = selectors.customer_or_deleted_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    qs = customer_history(user=request.user, customer=customer)
    pager = _page(request, qs, sort="-id", per_page=HISTORY_PAGE_SIZE)
    rows = present_events(request.user, pager.pop("rows"))
    return render(
        request,
        "customers/history.html",
        {
            "customer": customer,
            "rows": rows,
            **pager,
        },
    )
