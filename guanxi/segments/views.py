"""Web pages of segments: the list with counts, a segment's members, the rule builder with its
live count. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.sales.selectors import product_list

from . import builder, selectors, services
from . import rules as R
from .models import Segment, SegmentKind, Visibility
from .policies import may_change, may_delete

PREVIEW_ROWS = 10


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "segments", action):
        raise PermissionDenied


def _get(request: HttpRequest, pk) -> Segment:
    try:
        return selectors.segment_get(user=request.user, pk=pk)
    except Segment.DoesNotExist:
        raise Http404 from None


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    page = keyset.paginate_request(request, selectors.segment_list(user=request.user), sort="name")
    # Each count is fetched by its row (htmx, on load): the list draws at once, and a broad
    # segment over a million customers delays only its own cell.
    rows = [{"segment": segment} for segment in page.page.rows]
    base = reverse("segments:list")
    p = page.page
    return render(
        request,
        "segments/list.html",
        {
            "rows": rows,
            "may_create": has_perm(request.user, "segments", "create"),
            "next_url": p.next_cursor and f"{base}?{urlencode({'cursor': p.next_cursor})}",
            "previous_url": p.previous_cursor
            and f"{base}?{urlencode({'cursor': p.previous_cursor})}",
        },
    )


def _count(request: HttpRequest, segment: Segment):
    try:
        return selectors.count(selectors.members(user=request.user, segment=segment))
    except ValidationError:
        return None


@login_required
def segment_count(request: HttpRequest, pk: int) -> HttpResponse:
    """One segment's live count (the list's cells)."""
    _require(request, "view")
    segment = _get(request, pk)
    return render(request, "segments/partials/count.html", {"count": _count(request, segment)})


@login_required
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    segment = _get(request, pk)
    error = None
    try:
        qs = selectors.members(user=request.user, segment=segment).select_related("owner")
        web_page = keyset.paginate_request(request, qs, sort="-id", per_page=25)
        page = web_page.page
        counted = selectors.count(qs)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        page, counted = None, None
    base = reverse("segments:detail", args=[segment.pk])
    return render(
        request,
        "segments/detail.html",
        {
            "segment": segment,
            "page": page,
            "count": counted,
            "error": error,
            "rules_json": json.dumps(segment.rules, ensure_ascii=False, indent=2),
            "customers_url": f"{reverse('customers:list')}?{urlencode({'segment': segment.pk})}",
            "may_change": may_change(request.user, segment),
            "may_delete": may_delete(request.user, segment),
            "may_copy": has_perm(request.user, "segments", "create"),
            "next_url": page
            and page.next_cursor
            and f"{base}?{urlencode({'cursor': page.next_cursor})}",
            "previous_url": page
            and page.previous_cursor
            and f"{base}?{urlencode({'cursor': page.previous_cursor})}",
        },
    )


def _builder_context(request: HttpRequest, tree: dict) -> dict[str, Any]:
    """Rows of the builder for `tree`, with errors, the live count and the first members."""
    known = R.fields()
    errors: dict[str, list[str]] = {}
    counted = None
    preview: list = []
    try:
        cleaned = R.validate(tree, known=known)
    except ValidationError as exc:
        errors = exc.message_dict
        cleaned = None
    if cleaned is not None:
        qs = selectors.members_of_rules(user=request.user, rules=cleaned)
        counted = selectors.count(qs)
        if counted.value and not counted.timed_out:
            preview = selectors.first_members(qs, n=PREVIEW_ROWS)
    return {
        "root": builder.rows(tree, errors, known),
        "field_groups": builder.field_groups(known),
        "rule_errors": errors,
        "count": counted,
        "preview": preview,
        "products": product_list(user=request.user).filter(active=True).order_by("name")[:200],
        "channels": _channels(),
        "tree_json": json.dumps(tree, ensure_ascii=False),
    }


def _channels():
    from guanxi.interactions.models import Channel

    return Channel.choices


@login_required
@require_POST
def builder_view(request: HttpRequest) -> HttpResponse:
    """The builder after a change (htmx): parse, apply add/remove, validate, count."""
    if not (
        has_perm(request.user, "segments", "create") or has_perm(request.user, "segments", "change")
    ):
        raise PermissionDenied
    tree = builder.parse(request.POST)
    if request.POST.get("do"):
        tree = builder.apply(tree, request.POST["do"])
    return render(request, "segments/partials/builder.html", _builder_context(request, tree))


def _form_values(request: HttpRequest, segment: Segment | None) -> dict[str, Any]:
    if request.method == "POST":
        return {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "kind": request.POST.get("kind", SegmentKind.CUSTOM),
            "visibility": request.POST.get("visibility", Visibility.PRIVATE),
            "version": request.POST.get("version", ""),
        }
    if segment is None:
        return {"kind": SegmentKind.CUSTOM, "visibility": Visibility.PRIVATE}
    return {
        "name": segment.name,
        "description": segment.description,
        "kind": segment.kind,
        "visibility": segment.visibility,
        "version": segment.version,
    }


def _edit(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    if request.method == "POST":
        tree = builder.parse(request.POST)
    else:
        tree = (
            segment.rules
            if segment
            else {
                "type": "group",
                "op": "and",
                "negate": False,
                "rules": [
                    {"type": "condition", "field": "status", "operator": "eq", "value": "active"}
                ],
            }
        )
    values = _form_values(request, segment)
    field_errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = {k: values[k] for k in ("name", "description", "kind", "visibility")}
        data["rules"] = tree
        try:
            if segment is None:
                saved = services.create_segment(actor=request.user, data=data)
            else:
                saved = services.update_segment(
                    actor=request.user, segment=segment, data=data, version=values["version"]
                )
        except ValidationError as exc:
            field_errors = exc.message_dict
            status = 400
        except PermissionDeniedError as exc:
            field_errors = {"__all__": [exc.message]}
            status = 403
        except ConflictError as exc:
            field_errors = {
                "__all__": [
                    exc.message,
                    _("Saved now: version %(version)d. Open the segment again to see it.")
                    % {"version": exc.current_version},
                ]
            }
            status = 409
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
            return redirect("segments:detail", pk=saved.pk)
    context = _builder_context(request, tree)
    context.update(
        {
            "segment": segment,
            "values": values,
            "field_errors": {k: v for k, v in field_errors.items() if not k.startswith("rules")},
            "form_errors": field_errors.get("__all__", []),
            "kinds": SegmentKind.choices,
            "visibilities": Visibility.choices,
        }
    )
    if field_errors and not context["rule_errors"]:
        context["rule_errors"] = {k: v for k, v in field_errors.items() if k.startswith("rules")}
    return render(request, "segments/edit.html", context, status=status)


@login_required
def segment_create(request: HttpRequest) -> HttpResponse:
    _require(request, "create")
    return _edit(request, None)


@login_required
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _get(request, pk)
    if not may_change(request.user, segment):
        raise PermissionDenied
    return _edit(request, segment)


@login_required
@require_POST
def segment_copy(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "create")
    segment = _get(request, pk)
    try:
        copy = services.copy_segment(actor=request.user, segment=segment)
    except (ValidationError, PermissionDeniedError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("segments:detail", pk=segment.pk)
    messages.success(request, _("Copy made; adapt it to your needs."))
    return redirect("segments:edit", pk=copy.pk)


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _get(request, pk)
    try:
        services.delete_segment(actor=request.user, segment=segment)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("segments:list")
