"""The dashboard's charts: a small registry of chart providers.

A provider is a function `(user, filters) -> Chart | None` registered under a key with
`@register(...)`. The customer and order charts are defined here; charts that come from other
apps (pipeline funnel, satisfaction and NPS, tickets and SLA) are registered by
guanxi/reports/external.py only when their app is installed — an app that is not installed
contributes nothing, and no chart ever shows made-up data.

Every chart carries, besides its series, a data table (for screen readers and for the export)
and, where the customer list can show them, links to the customers behind each bar or slice.

Speed: a chart over customers is one GROUP BY over the customer rows the user may see. For a
user who sees every customer (scope "all"), the figures come from the summary table
(`SummaryCell`) that the summary job rebuilds every REPORTS_SUMMARY_MINUTES: a few hundred rows
instead of a million customers and ten million orders. Those figures are as old as the last run
(the page says when); every other user's charts are computed live over their own customers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, CharField, Count, F, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.selectors import team_and_below_ids
from guanxi.customers.models import Customer, LifecycleStage, Status, ValueTier


@dataclass
class Filters:
    team: Any = None  # a Team (with the teams below it), or None for all the user sees
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def params(self) -> dict[str, Any]:
        return {"team": self.team.pk} if self.team is not None else {}

    def team_ids(self) -> list[int] | None:
        """The ids of the chosen team and of every team below it; None for no team filter."""
        return None if self.team is None else team_and_below_ids(self.team)


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # bar, pie, line, heatmap, funnel
    categories: list[str] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)  # {"name", "data": [...]}
    links: list[str | None] = field(default_factory=list)  # one per category
    columns: list[str] = field(default_factory=list)  # the data table
    rows: list[list[Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "categories": self.categories,
            "series": self.series,
            "links": self.links,
            "table": {"columns": self.columns, "rows": self.rows},
            **self.extra,
        }


Provider = Callable[[Any, Filters], Chart | None]


@dataclass(frozen=True)
class Registered:
    key: str
    title: Any
    order: int
    fn: Provider


REGISTRY: dict[str, Registered] = {}


def register(key: str, title: Any, *, order: int = 100) -> Callable[[Provider], Provider]:
    def wrap(fn: Provider) -> Provider:
        REGISTRY[key] = Registered(key, title, order, fn)
        return fn

    return wrap


def providers() -> list[Registered]:
    return sorted(REGISTRY.values(), key=lambda r: (r.order, r.key))


# --- helpers -----------------------------------------------------------------------------


def customers_url(filters: Filters, **params: Any) -> str:
    """The customer list with the dashboard's team filter and the chart's own filters."""
    query = {**filters.params(), **{k: v for k, v in params.items() if v not in (None, "")}}
    return f"{reverse('customers:list')}?{urlencode(query)}"


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value or 0


def _month_key(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:7]
    return f"{value.year:04d}-{value.month:02d}"


def months(filters: Filters) -> list[str]:
    """The months of the period, oldest first: the last 12 months by default."""
    from django.utils import timezone

    end = filters.date_to or timezone.localdate()
    start = filters.date_from or (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month) and len(out) < 240:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _fixed_offset_minutes() -> int | None:
    """The active time zone's UTC offset in minutes when it has no daylight saving time
    (Asia/Shanghai), else None."""
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    offsets = {
        dt.datetime(2025, m, 1, tzinfo=dt.UTC).astimezone(tz).utcoffset() for m in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


def month_expr(column: str):
    """The month of a datetime column in the active time zone, computed in SQL.

    On SQLite, Django's TruncMonth calls back into Python for every row (ten million orders:
    minutes); with a fixed-offset zone, strftime with that offset gives the same month in C.
    """
    from django.db import connection
    from django.db.models import Func
    from django.db.models.functions import TruncMonth

    offset = _fixed_offset_minutes() if connection.vendor == "sqlite" else None
    if offset is None:
        return TruncMonth(column)
    return Func(
        Value("%Y-%m"),
        F(column),
        Value(f"{offset:+d} minutes"),
        function="strftime",
        output_field=CharField(),
    )


def period_bounds(filters: Filters) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    keys = months(filters)
    first = dt.date.fromisoformat(keys[0] + "-01")
    y, m = map(int, keys[-1].split("-"))
    last = dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last, dt.time.min, tzinfo=tz),
    )


# --- the figures behind each chart: one query each, grouped optionally by team -----------
#
# Each `figures_*` function takes the customers (and orders) to count and returns
# {(key, key2): value}; with by_team=True the keys start with the team id. The live path and
# the summary job call the same functions, so both give the same numbers.


def _grouped(qs: QuerySet, keys: list[str], value, by_team: bool) -> dict[tuple, Any]:
    names = (["team_id"] if by_team else []) + keys
    out: dict[tuple, Any] = {}
    for row in qs.order_by().values(*names).annotate(v=value):
        out[tuple(row[n] for n in names)] = row["v"]
    return out


def figures_field(customers: QuerySet, column: str, *, by_team: bool = False):
    return _grouped(customers, [column], Count("id"), by_team)


CLV_EDGES = [0, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000]


def _clv_bucket():
    whens = []
    for low, high in pairwise(CLV_EDGES):
        whens.append(When(score__clv__lt=high, then=Value(f"{low}-{high}")))
    return Case(
        When(score__clv__isnull=True, then=Value("")),
        *whens,
        default=Value(f"{CLV_EDGES[-1]}+"),
        output_field=CharField(),
    )


def figures_clv(customers: QuerySet, *, by_team: bool = False):
    qs = customers.filter(score__clv__isnull=False).annotate(bucket=_clv_bucket())
    return _grouped(qs, ["bucket"], Count("id"), by_team)


def figures_new(customers: QuerySet, *, by_team: bool = False, since=None, until=None):
    qs = customers
    if since is not None:
        qs = qs.filter(created_at__gte=since, created_at__lt=until)
    qs = qs.annotate(month=month_expr("created_at"))
    return _grouped(qs, ["month"], Count("id"), by_team)


def figures_churned(customers: QuerySet, *, by_team: bool = False, since=None, until=None):
    qs = customers.filter(status=Status.CHURNED, last_purchase_at__isnull=False)
    if since is not None:
        qs = qs.filter(last_purchase_at__gte=since, last_purchase_at__lt=until)
    qs = qs.annotate(month=month_expr("last_purchase_at"))
    return _grouped(qs, ["month"], Count("id"), by_team)


def figures_revenue(orders: QuerySet, *, by_team: bool = False, since=None, until=None):
    """Revenue (in the base currency) and order count per month (cancelled and refunded
    orders are not purchases)."""
    from guanxi.sales.models import NOT_PURCHASES

    qs = orders.exclude(status__in=NOT_PURCHASES)
    if since is not None:
        qs = qs.filter(ordered_at__gte=since, ordered_at__lt=until)
    qs = qs.annotate(month=month_expr("ordered_at"))
    if by_team:
        qs = qs.annotate(team_id=F("customer__team_id"))
    names = (["team_id"] if by_team else []) + ["month"]
    out: dict[tuple, Any] = {}
    for row in qs.order_by().values(*names).annotate(v=Sum("total_base"), n=Count("id")):
        base = tuple(row[n] for n in names)
        out[(*base, "revenue")] = row["v"] or Decimal(0)
        out[(*base, "orders")] = row["n"]
    return out


def figures_cohorts(orders: QuerySet, *, by_team: bool = False, since=None):
    """Customers of each first-purchase month who bought in each later month (distinct)."""
    from guanxi.sales.models import NOT_PURCHASES

    qs = orders.exclude(status__in=NOT_PURCHASES).filter(customer__first_purchase_at__isnull=False)
    if since is not None:  # no later order belongs to a cohort that starts in the period
        qs = qs.filter(ordered_at__gte=since)
    qs = qs.annotate(
        cohort=month_expr("customer__first_purchase_at"), month=month_expr("ordered_at")
    )
    if by_team:
        qs = qs.annotate(team_id=F("customer__team_id"))
    return _grouped(qs, ["cohort", "month"], Count("customer_id", distinct=True), by_team)


def _offset(cohort: str, month: str) -> int:
    cy, cm = map(int, cohort.split("-"))
    y, m = map(int, month.split("-"))
    return (y - cy) * 12 + (m - cm)


# --- reading the figures: live for a scoped user, from the summary for "all" ---------------


class Source:
    """Where a user's figures come from: their customers live, or the summary table."""

    def __init__(self, user, filters: Filters):
        from guanxi.accounts.models import DataScope
        from guanxi.accounts.policies import data_scope, has_perm
        from guanxi.customers.selectors import customer_list
        from guanxi.sales.selectors import order_list

        from .models import SummaryRun

        self.user, self.filters = user, filters
        customers = customer_list(user=user)
        team_ids = filters.team_ids()
        if team_ids is not None:
            customers = customers.filter(team_id__in=team_ids)
        # Orders through their own gate, and among the ids of the customers above: the
        # database starts from the user's customers (an index on the owner or the team) and
        # reads only their orders (index on customer and time), not ten million rows.
        orders = order_list(user=user).filter(customer_id__in=customers.values("id"))
        self.customers, self.orders = customers, orders
        self.run = None
        # The summary holds every customer and every order: only for a user whose own
        # selectors would give them all of both.
        if data_scope(user) == DataScope.ALL and has_perm(user, "orders", "view"):
            self.run = SummaryRun.objects.filter(kind="dashboard").first()
        self._cells: dict[str, dict[tuple, Decimal]] | None = None

    @property
    def summary(self) -> bool:
        return self.run is not None

    def _summary(self, chart: str) -> dict[tuple, Any]:
        if self._cells is None:
            from .models import SummaryCell

            cells: dict[str, dict[tuple, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
            qs = SummaryCell.objects.all()
            team_ids = self.filters.team_ids()
            if team_ids is not None:  # the team's cells and those of the teams below it
                qs = qs.filter(team_id__in=team_ids)
            for c, k, k2, v in qs.values_list("chart", "key", "key2", "value"):
                key = (k, k2) if k2 else (k,)
                cells[c][key] += v
            self._cells = cells
        return self._cells.get(chart, {})

    def get(self, chart: str) -> dict[tuple, Any]:
        """{key tuple: value} for one of the figures above, for this user and filters."""
        if self.summary:
            return {k: _number(v) for k, v in self._summary(chart).items()}
        since, until = period_bounds(self.filters)
        if chart.startswith("field:"):
            raw = figures_field(self.customers, chart[6:])
        elif chart == "clv":
            raw = figures_clv(self.customers)
        # Months outside the period are dropped when the charts read the figures. The
        # customers' dates are not filtered in SQL: a range on created_at would make the
        # database walk that index over every customer instead of the user's own.
        elif chart == "new":
            raw = figures_new(self.customers)
        elif chart == "churned":
            raw = figures_churned(self.customers)
        elif chart == "revenue":
            raw = figures_revenue(self.orders, since=since, until=until)
        elif chart == "cohorts":
            raw = figures_cohorts(self.orders, since=since)
        else:  # pragma: no cover - a programming error
            raise KeyError(chart)
        out = {}
        for key, value in raw.items():
            key = tuple(_month_key(k) if isinstance(k, dt.date) else k for k in key)
            out[key] = out.get(key, 0) + _number(value)
        return out


SUMMARY_CHARTS = {
    "field:status": lambda c, o: figures_field(c, "status", by_team=True),
    "field:lifecycle_stage": lambda c, o: figures_field(c, "lifecycle_stage", by_team=True),
    "field:value_tier": lambda c, o: figures_field(c, "value_tier", by_team=True),
    "field:region": lambda c, o: figures_field(c, "region", by_team=True),
    "clv": lambda c, o: figures_clv(c, by_team=True),
    "new": lambda c, o: figures_new(c, by_team=True),
    "churned": lambda c, o: figures_churned(c, by_team=True),
    "revenue": lambda c, o: figures_revenue(o, by_team=True),
    "cohorts": lambda c, o: figures_cohorts(o, by_team=True),
}


def _source(user, filters: Filters) -> Source:
    cache = getattr(filters, "_source", None)
    if cache is None or cache.user is not user:
        cache = Source(user, filters)
        filters._source = cache  # one Source (one summary read) per dashboard
    return cache


# --- the customer charts ---------------------------------------------------------------------


def _by_field(key: str, title, column: str, choices, user, filters: Filters, kind="pie") -> Chart:
    counts = _source(user, filters).get(f"field:{column}")
    labels = dict(choices)
    chart = Chart(key, str(title), kind, columns=[str(title), _("Customers")])
    data = []
    for value, label in [*choices, ("", _("not set"))]:
        n = counts.get((value,), 0)
        if not n:
            continue
        chart.categories.append(str(labels.get(value, label)))
        data.append(n)
        chart.links.append(customers_url(filters, **{column: value}) if value else None)
        chart.rows.append([str(label), n])
    chart.series = [{"name": _("Customers"), "data": data}]
    return chart


@register("by_status", gettext_lazy("Customers by status"), order=10)
def by_status(user, filters: Filters) -> Chart:
    return _by_field(
        "by_status", gettext_lazy("Customers by status"), "status", Status.choices, user, filters
    )


@register("by_stage", gettext_lazy("Customers by lifecycle stage"), order=20)
def by_stage(user, filters: Filters) -> Chart:
    return _by_field(
        "by_stage",
        gettext_lazy("Customers by lifecycle stage"),
        "lifecycle_stage",
        LifecycleStage.choices,
        user,
        filters,
        kind="bar",
    )


@register("by_tier", gettext_lazy("Customers by value tier"), order=30)
def by_tier(user, filters: Filters) -> Chart:
    return _by_field(
        "by_tier",
        gettext_lazy("Customers by value tier"),
        "value_tier",
        ValueTier.choices,
        user,
        filters,
    )


TOP_REGIONS = 12


@register("by_region", gettext_lazy("Customers by region"), order=40)
def by_region(user, filters: Filters) -> Chart:
    counts = _source(user, filters).get("field:region")
    title = str(gettext_lazy("Customers by region"))
    chart = Chart("by_region", title, "bar", columns=[_("Region"), _("Customers")])
    ranked = sorted(((k[0], v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    top, rest = ranked[:TOP_REGIONS], ranked[TOP_REGIONS:]
    data = []
    for region, n in top:
        label = region or _("not set")
        chart.categories.append(label)
        data.append(n)
        chart.links.append(customers_url(filters, region=region) if region else None)
        chart.rows.append([label, n])
    if rest:
        n = sum(v for _k, v in rest)
        chart.categories.append(_("other regions"))
        data.append(n)
        chart.links.append(None)
        chart.rows.append([_("other regions"), n])
    chart.series = [{"name": _("Customers"), "data": data}]
    return chart


@register("new_vs_churned", gettext_lazy("New and churned customers per month"), order=50)
def new_vs_churned(user, filters: Filters) -> Chart:
    """New: customers created that month. Churned: customers now churned, by the month of their
    last purchase (the month they were last active)."""
    source = _source(user, filters)
    new, churned = source.get("new"), source.get("churned")
    keys = months(filters)
    chart = Chart(
        "new_vs_churned",
        str(gettext_lazy("New and churned customers per month")),
        "line",
        categories=keys,
        columns=[_("Month"), _("New"), _("Churned")],
    )
    new_data = [new.get((k,), 0) for k in keys]
    churned_data = [churned.get((k,), 0) for k in keys]
    chart.series = [
        {"name": _("New"), "data": new_data},
        {"name": _("Churned"), "data": churned_data},
    ]
    chart.rows = [[k, a, b] for k, a, b in zip(keys, new_data, churned_data, strict=True)]
    chart.links = [None for _k in keys]
    # Each point opens exactly the customers it counted: created that month, or churned with
    # their last purchase that month (in the active time zone, as month_expr counts them).
    chart.extra["point_links"] = [
        [customers_url(filters, **_month_params("created", k)) for k in keys],
        [
            customers_url(filters, status=Status.CHURNED, **_month_params("last_purchase", k))
            for k in keys
        ],
    ]
    return chart


def _month_params(prefix: str, month: str) -> dict[str, str]:
    """The customer list's `<prefix>_from` and `<prefix>_to` filters for one month "YYYY-MM"."""
    y, m = map(int, month.split("-"))
    first = dt.date(y, m, 1)
    last = dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1) - dt.timedelta(days=1)
    return {f"{prefix}_from": first.isoformat(), f"{prefix}_to": last.isoformat()}


def _currency() -> dict[str, str]:
    """The currency that names a column of amounts: "Revenue (CNY)"."""
    from django.conf import settings

    return {"currency": settings.DEFAULT_CURRENCY}


@register("revenue", gettext_lazy("Revenue per month"), order=60)
def revenue(user, filters: Filters) -> Chart:
    figures = _source(user, filters).get("revenue")
    keys = months(filters)
    chart = Chart(
        "revenue",
        str(gettext_lazy("Revenue per month")),
        "line",
        categories=keys,
    )
    revenue_name = _("Revenue (%(currency)s)") % _currency()
    chart.columns = [_("Month"), revenue_name, _("Orders")]
    money = [figures.get((k, "revenue"), 0) for k in keys]
    count = [figures.get((k, "orders"), 0) for k in keys]
    chart.series = [{"name": revenue_name, "data": money}, {"name": _("Orders"), "data": count}]
    chart.extra["second_axis"] = True  # orders on their own scale
    chart.extra["money_columns"] = [1]  # the page shows them as money: 1,179,113.20
    chart.rows = [[k, m, n] for k, m, n in zip(keys, money, count, strict=True)]
    chart.links = [None for _k in keys]
    return chart


@register("clv", gettext_lazy("Lifetime value distribution"), order=70)
def clv(user, filters: Filters) -> Chart:
    counts = _source(user, filters).get("clv")
    chart = Chart(
        "clv",
        str(gettext_lazy("Lifetime value distribution")),
        "bar",
        columns=[_("Lifetime value (%(currency)s)") % _currency(), _("Customers")],
    )
    buckets = [f"{a}-{b}" for a, b in pairwise(CLV_EDGES)]
    buckets.append(f"{CLV_EDGES[-1]}+")
    data = [counts.get((b,), 0) for b in buckets]
    chart.categories = buckets
    chart.series = [{"name": _("Customers"), "data": data}]
    chart.rows = [[b, n] for b, n in zip(buckets, data, strict=True)]
    # A band [low, high) as _clv_bucket counts it: the first one includes any value below 0.
    bands = [(None if i == 0 else low, high) for i, (low, high) in enumerate(pairwise(CLV_EDGES))]
    bands.append((CLV_EDGES[-1], None))
    chart.links = [customers_url(filters, clv_from=low, clv_below=high) for low, high in bands]
    return chart


COHORT_MONTHS = 12


@register("cohorts", gettext_lazy("Cohort retention by first purchase month"), order=80)
def cohorts(user, filters: Filters) -> Chart:
    """Share of each first-purchase cohort that bought again N months later (N = 0…11)."""
    figures = _source(user, filters).get("cohorts")
    keys = months(filters)
    size: dict[str, int] = {}
    later: dict[tuple[str, int], int] = {}
    for (cohort, month), n in figures.items():
        if cohort not in keys:
            continue
        offset = _offset(cohort, month)
        if offset == 0:
            size[cohort] = size.get(cohort, 0) + n
        elif 0 < offset < COHORT_MONTHS:
            later[(cohort, offset)] = later.get((cohort, offset), 0) + n
    rows_keys = [k for k in keys if size.get(k)]
    chart = Chart(
        "cohorts",
        str(gettext_lazy("Cohort retention by first purchase month")),
        "heatmap",
        categories=[str(i) for i in range(COHORT_MONTHS)],
        columns=[_("Cohort"), _("Customers"), *[f"+{i}" for i in range(1, COHORT_MONTHS)]],
    )
    data = []
    for y, cohort in enumerate(rows_keys):
        total = size[cohort]
        row: list[Any] = [cohort, total]
        data.append([0, y, 100.0])
        for offset in range(1, COHORT_MONTHS):
            if _offset(cohort, keys[-1]) < offset:  # that month has not come yet
                row.append(None)
                continue
            n = later.get((cohort, offset), 0)
            pct = round(100.0 * n / total, 1)
            row.append(pct)
            data.append([offset, y, pct])
        chart.rows.append(row)
    chart.series = [{"name": _("Retention (%)"), "data": data}]
    chart.extra["y_categories"] = rows_keys
    chart.links = [None for _c in chart.categories]
    return chart


def summary_cells(customers: QuerySet[Customer], orders: QuerySet) -> list[tuple]:
    """(chart, key, key2, team_id, value) rows for the summary table, all customers."""
    cells = []
    for chart, fn in SUMMARY_CHARTS.items():
        for key, value in fn(customers, orders).items():
            team_id, *parts = key
            parts = [_month_key(p) if isinstance(p, dt.date) else p for p in parts]
            k = "" if parts[0] is None else str(parts[0])
            k2 = "" if len(parts) < 2 or parts[1] is None else str(parts[1])
            cells.append((chart, k, k2, team_id, Decimal(value or 0)))
    return cells
