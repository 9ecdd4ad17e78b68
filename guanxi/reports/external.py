"""Charts from other apps: pipeline funnel, satisfaction and NPS trend, ticket volume and SLA.

Each is registered only when its app is installed (an app that is not installed contributes
nothing; no chart shows made-up data). Each calls the other app's selector with the acting
user, so that app's own visibility rules hold, and turns its rows into a Chart:

- guanxi.pipeline.selectors.funnel: one row per stage with count and amount per currency;
- guanxi.surveys.selectors.satisfaction_trend: one row per month with CSAT and NPS;
- guanxi.tickets.selectors.dashboard_ticket_stats: one row per month with tickets opened,
  resolved and the share that met their SLA targets.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .charts import Chart, Filters, period_bounds, register


def _period(filters: Filters) -> dict[str, Any]:
    since, until = period_bounds(filters)
    return {
        "date_from": filters.date_from or since.date(),
        "date_to": filters.date_to or until.date(),
        "team": filters.team,  # a Team: each selector counts the teams below it too
    }


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _table(chart: Chart, first: str) -> Chart:
    """The data table: `first` names the column of the categories (a stage, a month)."""
    chart.columns = [first, *[s["name"] for s in chart.series]]
    chart.rows = [
        [label, *[s["data"][i] for s in chart.series]] for i, label in enumerate(chart.categories)
    ]
    chart.links = [None for _label in chart.categories]
    return chart


def funnel_chart(title: str, rows: list[dict[str, Any]]) -> Chart:
    """Open stages in order with their opportunity count and amount in the default currency."""
    currency = getattr(settings, "DEFAULT_CURRENCY", "CNY")
    pipelines = {row["pipeline_id"] for row in rows}
    chart = Chart("pipeline_funnel", title, "funnel")
    counts, amounts = [], []
    for row in rows:
        label = row["stage"] if len(pipelines) == 1 else f"{row['pipeline']} · {row['stage']}"
        chart.categories.append(str(label))
        counts.append(row["count"])
        amounts.append(_number(row["amount"].get(currency, Decimal(0))))
    chart.series = [
        {"name": _("Opportunities"), "data": counts},
        {"name": _("Amount (%(currency)s)") % {"currency": currency}, "data": amounts},
    ]
    chart.extra["money_columns"] = [2]
    return _table(chart, _("Stage"))


def satisfaction_chart(title: str, rows: list[dict[str, Any]]) -> Chart:
    chart = Chart("satisfaction", title, "line")
    chart.categories = [row["label"] for row in rows]
    chart.series = [
        {"name": _("CSAT average"), "data": [_number(r["csat_avg"]) for r in rows]},
        {"name": _("NPS"), "data": [_number(r["nps"]) for r in rows]},
        {"name": _("Responses"), "data": [r["responses"] for r in rows]},
    ]
    return _table(chart, _("Month"))


def ticket_chart(title: str, rows: list[dict[str, Any]]) -> Chart:
    def percent(rate: Any) -> float | None:
        return None if rate is None else round(float(rate) * 100, 1)

    chart = Chart("tickets", title, "bar")
    chart.categories = [row["month"].strftime("%Y-%m") for row in rows]
    chart.series = [
        {"name": _("Opened"), "data": [r["opened"] for r in rows]},
        {"name": _("Resolved"), "data": [r["resolved"] for r in rows]},
        {
            "name": _("Resolved within SLA (%)"),
            "data": [percent(r["resolution_rate"]) for r in rows],
        },
    ]
    return _table(chart, _("Month"))


def register_pipeline_funnel() -> None:
    if not apps.is_installed("guanxi.pipeline"):
        return
    title = gettext_lazy("Pipeline funnel")

    @register("pipeline_funnel", title, order=90)
    def pipeline_funnel(user, filters: Filters):
        from guanxi.pipeline.selectors import funnel

        rows = [r for r in funnel(user, **_period(filters)) if r["outcome"] == "open"]
        return funnel_chart(str(title), rows)


def register_satisfaction_trend() -> None:
    if not apps.is_installed("guanxi.surveys"):
        return
    title = gettext_lazy("Satisfaction and NPS trend")

    @register("satisfaction", title, order=100)
    def satisfaction(user, filters: Filters):
        from guanxi.surveys.selectors import satisfaction_trend

        return satisfaction_chart(str(title), satisfaction_trend(user, **_period(filters)))


def register_ticket_stats() -> None:
    if not apps.is_installed("guanxi.tickets"):
        return
    title = gettext_lazy("Ticket volume and SLA")

    @register("tickets", title, order=110)
    def tickets(user, filters: Filters):
        from guanxi.tickets.selectors import dashboard_ticket_stats

        return ticket_chart(str(title), dashboard_ticket_stats(user, **_period(filters)))


def register_all() -> None:
    register_pipeline_funnel()
    register_satisfaction_trend()
    register_ticket_stats()
