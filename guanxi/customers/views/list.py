"""The customer list: search, filters, sorting, keyset pages, a column chooser, saved views and
bulk actions. A thin adapter: reads through selectors, writes through services.

One view serves the whole page and, for htmx, only the results (the table and its pager), so the
filters update the table without a full reload while the URL stays shareable (hx-push-url).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from guanxi.accounts import selectors as account_selectors
from guanxi.accounts import services as account_services
from guanxi.accounts.forms import TeamChoiceField
from guanxi.accounts.models import SavedView
from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.web import DateInput, StyledForm, is_htmx_partial, style_widgets

from .. import selectors, services
from ..masking import present
from ..models import (
    PHONE_KINDS,
    AppliesTo,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomFieldType,
    Grade,
    LifecycleStage,
    Status,
    ValueTier,
)

LIST_NAME = "customers"
RESULTS_ID = "customer-results"

# Sortable columns: each has an index on (column, id), so every page is an index range.
SORTS = {
    "updated_at": gettext_lazy("Last updated"),
    "created_at": gettext_lazy("Created"),
    "display_name": gettext_lazy("Name"),
    "last_purchase_at": gettext_lazy("Last purchase"),
    "total_spent": gettext_lazy("Total spent"),
    "id": gettext_lazy("Number"),
}
DEFAULT_SORT = "-updated_at"
PER_PAGE_CHOICES = (25, 50, 100)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    default: bool = False
    sort: str | None = None  # the SORTS key when the column is sortable


COLUMNS = [
    Column("display_name", gettext_lazy("Name"), True, "display_name"),
    Column("kind", gettext_lazy("Kind")),
    Column("short_name", gettext_lazy("Short name")),
    Column("grade", gettext_lazy("Grade"), True),
    Column("status", gettext_lazy("Status"), True),
    Column("lifecycle_stage", gettext_lazy("Lifecycle stage")),
    Column("value_tier", gettext_lazy("Value tier")),
    Column("phone", gettext_lazy("Phone"), True),
    Column("email", gettext_lazy("E-mail")),
    Column("owner", gettext_lazy("Owner"), True),
    Column("team", gettext_lazy("Team")),
    Column("tags", gettext_lazy("Tags")),
    Column("industry", gettext_lazy("Industry")),
    Column("region", gettext_lazy("Region"), True),
    Column("order_count", gettext_lazy("Orders")),
    Column("total_spent", gettext_lazy("Total spent"), True, "total_spent"),
    Column("last_purchase_at", gettext_lazy("Last purchase"), False, "last_purchase_at"),
    Column("last_interaction_at", gettext_lazy("Last contact")),
    Column("created_at", gettext_lazy("Created"), False, "created_at"),
    Column("updated_at", gettext_lazy("Last updated"), True, "updated_at"),
    Column("id", gettext_lazy("Number"), False, "id"),
]
COLUMN_KEYS = {c.key for c in COLUMNS}
DEFAULT_COLUMNS = [c.key for c in COLUMNS if c.default]
FILTERABLE_CUSTOM_TYPES = (CustomFieldType.CHOICE, CustomFieldType.BOOLEAN, CustomFieldType.TEXT)
# Query parameters that are not filters: left out when a view is saved.
NOT_FILTERS = ("cursor", "cols")


def _any(choices) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class CustomerFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    lifecycle_stage = forms.ChoiceField(label=gettext_lazy("Lifecycle stage"), required=False)
    value_tier = forms.ChoiceField(label=gettext_lazy("Value tier"), required=False)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"), required=False, queryset=None, empty_label=None
    )
    team = TeamChoiceField(  # the team and the teams below it
        label=gettext_lazy("Team"), required=False, queryset=None, empty_label=None
    )
    tag = forms.ModelChoiceField(
        label=gettext_lazy("Tag"),
        required=False,
        queryset=None,
        to_field_name="name",
        empty_label=None,
    )
    region = forms.CharField(label=gettext_lazy("Region"), required=False, max_length=100)
    industry = forms.CharField(label=gettext_lazy("Industry"), required=False, max_length=100)
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    # The dashboard's charts open the customers behind a month or a lifetime value band.
    created_from = forms.DateField(label=gettext_lazy("Created from"), required=False)
    created_to = forms.DateField(label=gettext_lazy("Created to"), required=False)
    last_purchase_from = forms.DateField(label=gettext_lazy("Last purchase from"), required=False)
    last_purchase_to = forms.DateField(label=gettext_lazy("Last purchase to"), required=False)
    clv_from = forms.DecimalField(
        label=gettext_lazy("Lifetime value from"), required=False, max_digits=14, decimal_places=2
    )
    clv_below = forms.DecimalField(
        label=gettext_lazy("Lifetime value below"), required=False, max_digits=14, decimal_places=2
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False)
    per_page = forms.TypedChoiceField(
        label=gettext_lazy("Rows per page"),
        required=False,
        coerce=int,
        empty_value=PER_PAGE_CHOICES[0],
        choices=[(n, n) for n in PER_PAGE_CHOICES],
    )

    def __init__(self, *args, user, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["grade"].choices = _any(Grade.choices)
        f["status"].choices = _any(Status.choices)
        f["lifecycle_stage"].choices = _any(LifecycleStage.choices)
        f["value_tier"].choices = _any(ValueTier.choices)
        f["owner"].queryset = account_selectors.user_list(user=user).filter(is_active=True)
        f["team"].queryset = account_selectors.team_list(user=user)
        f["tag"].queryset = selectors.tag_list(user=user)
        f["segment"].choices = _any(_segment_choices(user))
        for name in ("owner", "team", "tag"):
            f[name].empty_label = _("Any")
        for name in DATE_FILTERS:
            f[name].widget = DateInput()
        sorts = []
        for key, label in SORTS.items():
            sorts += [(f"-{key}", f"{label} ↓"), (key, f"{label} ↑")]
        f["sort"].choices = sorts
        self.custom_keys: list[tuple[str, Any]] = []
        for definition in definitions:
            name = f"cf_{definition.key}"
            if definition.field_type == CustomFieldType.BOOLEAN:
                field = forms.ChoiceField(
                    choices=[("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
                )
            elif definition.field_type == CustomFieldType.CHOICE:
                field = forms.ChoiceField(
                    choices=_any([(str(c), str(c)) for c in definition.choices or []])
                )
            else:
                field = forms.CharField(max_length=200)
            field.required = False
            field.label = definition.label
            f[name] = field
            self.custom_keys.append((name, definition))
        self.style()

    def style(self) -> None:
        style_widgets(self)
        for field in self.fields.values():
            widget = field.widget
            css = widget.attrs.get("class", "")
            widget.attrs["class"] = css.replace(
                "form-select", "form-select form-select-sm"
            ).replace("form-control", "form-control form-control-sm")

    def clean(self):
        data = super().clean()
        for name in DATE_FILTERS:
            day = data.get(name)
            if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                self.add_error(name, date_range_message())
        return data

    def valid_data(self) -> dict[str, Any]:
        """The values that passed validation; an invalid filter is left out (and reported)."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}


DATE_FILTERS = ("created_from", "created_to", "last_purchase_from", "last_purchase_to")


def _day_start(day: dt.date, *, next_day: bool = False) -> dt.datetime:
    """Midnight at the start of `day` (or of the day after) in the active time zone."""
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _segment_choices(user) -> list[tuple[str, str]]:
    from guanxi.segments.selectors import segment_list

    return [(str(pk), name) for pk, name in segment_list(user=user).values_list("pk", "name")]


def _filterable_definitions(user) -> list:
    return list(
        selectors.custom_field_list(user=user).filter(
            active=True,
            field_type__in=FILTERABLE_CUSTOM_TYPES,
            applies_to__in=[AppliesTo.ALL, AppliesTo.PERSON, AppliesTo.ORGANISATION],
        )
    )


def _apply_filters(
    qs: QuerySet[Customer], form: CustomerFilterForm, data: dict, *, user
) -> QuerySet:
    if data.get("q"):
        qs = selectors.search(qs, data["q"], user=user)
    for name in ("grade", "status", "lifecycle_stage", "value_tier"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("owner"):
        qs = qs.filter(owner_id=data["owner"].pk)
    if data.get("team"):  # the team and the teams below it
        qs = qs.filter(team_id__in=account_selectors.team_and_below_ids(data["team"]))
    if data.get("tag"):
        qs = qs.filter(tags=data["tag"])
    if data.get("region"):
        qs = qs.filter(region=data["region"].strip())
    if data.get("industry"):
        qs = qs.filter(industry=data["industry"].strip())
    for column in ("created_at", "last_purchase_at"):
        prefix = column.removesuffix("_at")
        if data.get(f"{prefix}_from"):
            qs = qs.filter(**{f"{column}__gte": _day_start(data[f"{prefix}_from"])})
        if data.get(f"{prefix}_to"):
            qs = qs.filter(**{f"{column}__lt": _day_start(data[f"{prefix}_to"], next_day=True)})
    if data.get("clv_from") is not None:
        qs = qs.filter(score__clv__gte=data["clv_from"])
    if data.get("clv_below") is not None:
        qs = qs.filter(score__clv__lt=data["clv_below"])
    if data.get("segment"):
        try:
            qs = selectors.in_segment(qs, data["segment"], user=user)
        except ValidationError as error:
            form.add_error("segment", error)
    for name, definition in form.custom_keys:
        value = data.get(name)
        if value in (None, ""):
            continue
        lookup = f"custom_fields__{definition.key}"
        if definition.field_type == CustomFieldType.BOOLEAN:
            value = value == "yes"
        qs = qs.filter(**{lookup: value})
    return qs


def _columns(request: HttpRequest) -> list[str]:
    chosen = [c for c in request.GET.getlist("cols") if c in COLUMN_KEYS]
    return chosen or DEFAULT_COLUMNS


def _first(points: list[ContactPoint], kinds) -> str:
    for point in points:
        if point.kind in kinds:
            return point.value
    return ""


def _cell(user, customer: Customer, key: str) -> Any:
    if key == "phone":
        return present(user, "mobile", _first(customer.page_points, PHONE_KINDS))
    if key == "email":
        return present(user, "email", _first(customer.page_points, (ContactPointKind.EMAIL,)))
    if key == "tags":
        return ", ".join(t.name for t in customer.tags.all())
    if key == "owner":
        return str(customer.owner) if customer.owner_id else ""
    if key == "team":
        return str(customer.team) if customer.team_id else ""
    if key in ("kind", "grade", "status", "lifecycle_stage", "value_tier"):
        return getattr(customer, f"get_{key}_display")()
    return getattr(customer, key)


def _query_without(request: HttpRequest, *names: str, **extra: Any) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    for name, value in extra.items():
        params[name] = value
    return params.urlencode()


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CustomerFilterForm(request.GET, user=user, definitions=_filterable_definitions(user))
    data = form.valid_data()
    sort = data.get("sort") or DEFAULT_SORT
    per_page = data.get("per_page") or PER_PAGE_CHOICES[0]
    columns = _columns(request)

    qs = _apply_filters(selectors.customer_list(user=user), form, data, user=user)
    qs = qs.select_related("owner", "team")
    if "tags" in columns:
        qs = qs.prefetch_related("tags")
    if "phone" in columns or "email" in columns:
        qs = qs.prefetch_related(
            Prefetch(
                "contact_points",
                queryset=ContactPoint.objects.filter(
                    kind__in=[*PHONE_KINDS, ContactPointKind.EMAIL]
                ),
                to_attr="page_points",
            )
        )

    notices: list[str] = []
    web_page = keyset.paginate_request(request, qs, sort=sort, per_page=per_page)
    page = web_page.page
    if web_page.reset:
        notices.append(_("That page link no longer works; here is the first page."))
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        notices.append(
            _("%(field)s: %(error)s This filter was not applied.")
            % {"field": label, "error": " ".join(errors)}
        )

    column_objs = [c for c in COLUMNS if c.key in columns]
    column_objs.sort(key=lambda c: columns.index(c.key))
    rows = [
        {"customer": c, "cells": [(col.key, _cell(user, c, col.key)) for col in column_objs]}
        for c in page.rows
    ]
    base = reverse("customers:list")
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "columns": [
            {
                "key": c.key,
                "label": c.label,
                "sort": c.sort,
                "sort_url": c.sort
                and f"{base}?"
                + _query_without(
                    request, "cursor", sort=c.sort if sort == f"-{c.sort}" else f"-{c.sort}"
                ),
            }
            for c in column_objs
        ],
        "all_columns": COLUMNS,
        "chosen_columns": columns,
        "sort": sort,
        "notices": notices,
        "results_id": RESULTS_ID,
        "next_url": page.next_cursor
        and f"{base}?{_query_without(request, 'cursor', cursor=page.next_cursor)}",
        "previous_url": page.previous_cursor
        and f"{base}?{_query_without(request, 'cursor', cursor=page.previous_cursor)}",
        "here": request.get_full_path(),
        "filter_query": _query_without(request, *NOT_FILTERS),
        "bulk_actions": BULK_ACTIONS,
        "may_export": has_perm(user, "customers", "export"),
    }
    if is_htmx_partial(request) and request.htmx.target == RESULTS_ID:
        response = render(request, "customers/partials/list_results.html", context)
    else:
        context["saved_views"] = [
            {"view": v, "url": _saved_view_url(v)}
            for v in account_selectors.saved_view_list(user=user, list_name=LIST_NAME)
        ]
        context["assignable_users"] = form.fields["owner"].queryset
        context["teams"] = form.fields["team"].queryset
        response = render(request, "customers/list.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


BULK_ACTIONS = [
    ("assign_owner", gettext_lazy("Assign to an owner")),
    ("add_tag", gettext_lazy("Add a tag")),
    ("remove_tag", gettext_lazy("Remove a tag")),
    ("share_user", gettext_lazy("Share with a user")),
    ("share_team", gettext_lazy("Share with a team")),
    ("delete", gettext_lazy("Move to the recycle bin")),
]


def _saved_view_url(view: SavedView) -> str:
    params = view.query
    if view.columns:
        cols = urlencode([("cols", c) for c in view.columns])
        params = f"{params}&{cols}" if params else cols
    return f"{reverse('customers:list')}?{params}" if params else reverse("customers:list")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("customers:list")
    return redirect(target)


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected customers; report how many went through and why the
    others were refused. Customers outside the user's scope are refused as not found."""
    user = request.user
    action = request.POST.get("action", "")
    params: dict[str, Any] = {}
    try:
        if action == "assign_owner":
            params["owner"] = _pick(
                account_selectors.user_list(user=user), request.POST.get("owner")
            )
        elif action in ("add_tag", "remove_tag"):
            params["tag"] = request.POST.get("tag", "").strip()
        elif action == "share_user":
            params["user"] = _pick(
                account_selectors.user_list(user=user), request.POST.get("share_user")
            )
        elif action == "share_team":
            params["team"] = _pick(
                account_selectors.team_list(user=user), request.POST.get("share_team")
            )
        result = services.bulk_change_customers(
            actor=user,
            customer_ids=_ids(request.POST.getlist("ids")),
            action=action,
            **params,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request)
    except PermissionDeniedError as error:
        messages.error(request, error.message)
        return _back(request)
    if result.done:
        messages.success(
            request,
            ngettext("%(count)d customer changed.", "%(count)d customers changed.", result.done)
            % {"count": result.done},
        )
    if result.refused:
        shown = []
        for pk, name, reason in result.refused[:10]:
            label = name or _("No. %(id)s") % {"id": pk}  # not in an f-string: makemessages
            shown.append(f"{label}: {reason}")  # finds no message inside one
        more = len(result.refused) - len(shown)
        text = ngettext(
            "%(count)d customer refused:", "%(count)d customers refused:", len(result.refused)
        ) % {"count": len(result.refused)}
        text += " " + "; ".join(shown)
        if more:
            text += " " + _("and %(more)d more.") % {"more": more}
        messages.warning(request, text)
    return _back(request)


def _pick(qs: QuerySet, value: str | None):
    """The chosen row of a selector's queryset, or None (the service then says it is needed)."""
    try:
        return qs.get(pk=int(value)) if value else None
    except (ValueError, TypeError, qs.model.DoesNotExist):
        return None


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    columns = [c for c in request.POST.getlist("cols") if c in COLUMN_KEYS]
    try:
        view = account_services.save_view(
            actor=request.user,
            list_name=LIST_NAME,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            columns=columns,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_saved_view_url(view))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = account_selectors.saved_view_get(user=request.user, pk=pk)
    except SavedView.DoesNotExist:
        raise Http404 from None
    account_services.delete_view(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("customers:list")


# Parameters that change how the list is shown, not which customers it holds.
NOT_SELECTION = ("sort", "per_page")


def filter_errors(*, user, params) -> dict[str, str]:
    """The filters among `params` that this list would leave out for `user` (a segment they
    cannot see, a value that does not exist...), each as "label: message". The list shows
    the others and says so; an export must not quietly hold more customers than asked for."""
    form = CustomerFilterForm(params, user=user, definitions=_filterable_definitions(user))
    form.is_valid()
    return {
        name: f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name not in NOT_SELECTION
    }


def filtered_customers(*, user, params) -> QuerySet[Customer]:
    """The customers this list shows `user` for these query parameters (its filters and
    search), in no particular order: what an export of the list exports."""
    form = CustomerFilterForm(params, user=user, definitions=_filterable_definitions(user))
    data = form.valid_data()
    return _apply_filters(selectors.customer_list(user=user), form, data, user=user)
