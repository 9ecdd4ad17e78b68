"""The customer 360° page and its timeline (loaded page by page as the user scrolls).

Adapters: the customer comes from selectors.customer_get (404 outside the user's scope), the
timeline from selectors.timeline; contact details are shown through masking.present, the same
code as the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit.presentation import display, present_events
from guanxi.followups.selectors import customer_open_tasks
from guanxi.pipeline.selectors import customer_card_context
from guanxi.quality.views import customer_card as quality_card

from .. import countries, selectors
from ..forms import NoteForm, QuickInteractionForm
from ..masking import present
from ..models import Customer, CustomerKind
from ..policies import may

TIMELINE_PAGE = 20


@dataclass
class Shown:
    """A contact detail as this user may see it."""

    kind: str
    label: str
    value: str
    is_primary: bool = False


def _customer(request: HttpRequest, pk: int) -> Customer:
    try:
        return (
            selectors.customer_list(user=request.user)
            .select_related("owner", "team")
            .prefetch_related("contact_points", "addresses", "tags")
            .get(pk=pk)
        )
    except Customer.DoesNotExist:
        raise Http404 from None


def _timeline_context(request: HttpRequest, customer: Customer, before: str | None) -> dict:
    page = selectors.timeline(
        user=request.user, customer=customer, before=before, limit=TIMELINE_PAGE
    )
    presented = iter(
        present_events(request.user, [i.obj for i in page.items if i.kind == "change"])
    )
    rows = []
    for item in page.items:
        row: dict[str, Any] = {"item": item, "kind": item.kind, "obj": item.obj, "at": item.at}
        if item.kind == "change":
            shown = next(presented)
            row["record_type"] = shown.record_type
            row["name"] = shown.name
            row["changes"] = [(c.field, c.before, c.after) for c in shown.changes]
        rows.append(row)
    return {
        "customer": customer,
        "rows": rows,
        "next_before": page.next_before,
        "may_change": may(request.user, "change", customer),
        "may_edit_interactions": has_perm(request.user, "interactions", "change"),
    }


def _contact_points(user: User, customer: Customer) -> list[Shown]:
    return [
        Shown(p.get_kind_display(), p.label, present(user, p.kind, p.value), p.is_primary)
        for p in customer.contact_points.all()
    ]


def _addresses(user: User, customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "label": a.label,
            "text": " ".join(
                part
                for part in (
                    "" if a.country == countries.DEFAULT else countries.country_name(a.country),
                    a.province,
                    a.city,
                    a.district,
                    present(user, "street", a.street),
                    a.postcode,
                )
                if part
            ),
            "is_primary": a.is_primary,
        }
        for a in customer.addresses.all()
    ]


def _contacts(user: User, customer: Customer) -> list[dict[str, Any]]:
    if customer.kind != CustomerKind.ORGANISATION:
        return []
    return [
        {
            "contact": c,
            "mobile": present(user, "mobile", c.mobile),
            "email": present(user, "email", c.email),
        }
        for c in selectors.contact_list(user=user).filter(organisation_id=customer.pk)[:100]
    ]


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    user = request.user
    may_change = may(user, "change", customer)
    definitions = {d.key: d.label for d in selectors.custom_field_list(user=user)}
    context = {
        "customer": customer,
        "contact_points": _contact_points(user, customer),
        "addresses": _addresses(user, customer),
        "contacts": _contacts(user, customer),
        "tags": sorted(t.name for t in customer.tags.all()),
        "custom_fields": [
            (definitions.get(key, key), display(value))
            for key, value in (customer.custom_fields or {}).items()
        ],
        "may_change": may_change,
        "may_delete": may(user, "delete", customer),
        "may_add_contacts": customer.kind == CustomerKind.ORGANISATION
        and has_perm(user, "contacts", "create")
        and may_change,
        "may_log_interaction": has_perm(user, "interactions", "create"),
        "sees_orders": has_perm(user, "orders", "view"),
        "interaction_form": QuickInteractionForm(user=user, customer=customer),
        "note_form": NoteForm(),
        **_timeline_context(request, customer, None),
    }
    context["quality"] = quality_card(user, customer)  # guanxi.quality: completeness, links
    context["sees_tasks"] = has_perm(user, "tasks", "view")
    if context["sees_tasks"]:  # one query, however many tasks
        context["open_tasks"] = customer_open_tasks(user=user, customer=customer)
        context["may_create_tasks"] = has_perm(user, "tasks", "create")
    context.update(customer_card_context(user=user, customer=customer))  # guanxi.pipeline
    return render(request, "customers/detail.html", context)


@login_required
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """One page of the timeline, as a fragment (htmx) or as a page of its own."""
    customer = _customer(request, pk)
    try:
        context = _timeline_context(request, customer, request.GET.get("before") or None)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(request, "customers/_timeline.html", context)
