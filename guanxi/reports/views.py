"""The dashboard page and its export. Adapters over the selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.policies import has_perm

from . import export, selectors
from .charts import Filters
from .forms import DashboardFilterForm


def _is_empty(rows: list[list]) -> bool:
    """No figure to draw: no rows, or nothing but zeros and blanks after each row's label."""
    return not any(value for row in rows for value in row[1:])


def _for_page(chart: dict) -> dict:
    """The chart with its table rows paired with the link to their customers, and whether it
    has anything to draw (an empty chart shows a message, not blank axes)."""
    rows = chart["table"]["rows"]
    links = chart.get("links") or []
    if len(links) != len(rows):
        links = [None] * len(rows)
    return {**chart, "table_rows": list(zip(links, rows, strict=True)), "empty": _is_empty(rows)}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "analytics", "view"):
        raise PermissionDenied
    form = DashboardFilterForm(request.GET or None, user=request.user)
    status = 200
    if form.is_bound and not form.is_valid():
        filters, status = Filters(), 400
    else:
        filters = form.filters() if form.is_bound else Filters()
    data = selectors.dashboard(user=request.user, filters=filters)
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "data": data,
            "charts": [_for_page(chart) for chart in data["charts"]],
            "charts_data": data["charts"],
            "may_export": has_perm(request.user, "analytics", "export"),
            "query": request.GET.urlencode(),
        },
        status=status,
    )


def _about(filters: Filters, data: dict) -> list[tuple[str, str]]:
    """What an exported report covers, for whoever reads the file later: its team, its period
    (as the charts draw it: the months from the first day of the first), when it was made."""
    months = data["months"]
    start = filters.date_from or (months and f"{months[0]}-01")
    end = filters.date_to or timezone.localdate()
    rows = [
        (_("Team"), str(filters.team) if filters.team else _("All teams I can see")),
        (_("Period"), f"{start} – {end}"),
    ]
    if data.get("as_of"):
        rows.append(
            (_("Figures as of"), timezone.localtime(data["as_of"]).strftime("%Y-%m-%d %H:%M"))
        )
    rows.append((_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")))
    return rows


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "analytics", "export"):
        raise PermissionDenied
    params = request.GET.copy()
    fmt = params.pop("format", ["csv"])[-1]
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(
            _("Choose CSV or XLSX."), status=400, content_type="text/plain; charset=utf-8"
        )
    form = DashboardFilterForm(params, user=request.user)
    if not form.is_valid():
        text = "; ".join(
            f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".lstrip(": ")
            for k, v in form.errors.items()
        )
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    data = selectors.dashboard(user=request.user, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    about = _about(filters, data)
    if fmt == "xlsx":
        response = HttpResponse(
            export.to_xlsx(data["charts"], about=about, about_title=_("Report")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(export.to_csv(data["charts"], about=about), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{stamp}.{fmt}"'
    return response
