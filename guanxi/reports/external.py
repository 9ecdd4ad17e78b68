"""Charts from other apps: pipeline funnel, satisfaction and NPS trend, ticket volume and SLA.

Each is registered only when its app is installed (an app that is not installed contributes
nothing; no chart shows made-up data). They call the other app's selector with the acting user,
so its own visibility rules hold, and turn its answer into a Chart:

- guanxi.pipeline.selectors.funnel(user, *, pipeline=None, date_from=None, date_to=None,
  team=None)
- guanxi.surveys.selectors.satisfaction_trend(user, *, date_from, date_to, team=None)
- guanxi.tickets.selectors.dashboard_ticket_stats(user, *, date_from, date_to, team=None)

`to_chart` accepts the shapes such selectors naturally return: a Chart; a dict with
"categories" and "series"; a list of rows (dicts or tuples) whose first text value is the
category and whose numbers are the series. The integrator checks the wiring after merging.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy

from .charts import Chart, Filters, register

NUMBER = (int, float, Decimal)


def _num(value: Any) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


def to_chart(key: str, title: str, kind: str, data: Any) -> Chart | None:
    if data is None:
        return None
    if isinstance(data, Chart):
        return data
    chart = Chart(key, str(title), kind)
    if isinstance(data, Mapping) and "series" in data:
        chart.categories = [str(c) for c in data.get("categories", [])]
        chart.series = [
            {"name": str(s.get("name", "")), "data": [_num(v) for v in s.get("data", [])]}
            for s in data["series"]
        ]
    else:
        rows = list(data.items()) if isinstance(data, Mapping) else list(data)
        names: list[str] = []
        values: dict[str, list] = {}
        for row in rows:
            if isinstance(row, Mapping):
                items = list(row.items())
            elif isinstance(row, tuple | list):
                items = [(str(i), v) for i, v in enumerate(row)]
            else:
                continue
            label = next((str(v) for _k, v in items if isinstance(v, str)), None)
            if label is None:
                label = str(items[0][1]) if items else ""
            chart.categories.append(label)
            for k, v in items:
                if isinstance(v, NUMBER) and not isinstance(v, bool):
                    if k not in values:
                        names.append(k)
                        values[k] = []
                    values[k].append(_num(v))
        chart.series = [{"name": n, "data": values[n]} for n in names]
    chart.columns = ["", *[s["name"] for s in chart.series]]
    chart.rows = [
        [c, *[s["data"][i] if i < len(s["data"]) else "" for s in chart.series]]
        for i, c in enumerate(chart.categories)
    ]
    chart.links = [None for _c in chart.categories]
    return chart


def _period(filters: Filters) -> dict[str, Any]:
    from .charts import period_bounds

    since, until = period_bounds(filters)
    return {
        "date_from": filters.date_from or since.date(),
        "date_to": filters.date_to or until.date(),
        "team": filters.team,
    }


def register_pipeline_funnel() -> None:
    if not apps.is_installed("guanxi.pipeline"):
        return
    title = gettext_lazy("Pipeline funnel")

    @register("pipeline_funnel", title, order=90)
    def pipeline_funnel(user, filters: Filters):
        from guanxi.pipeline.selectors import funnel

        return to_chart("pipeline_funnel", title, "funnel", funnel(user, **_period(filters)))


def register_satisfaction_trend() -> None:
    if not apps.is_installed("guanxi.surveys"):
        return
    title = gettext_lazy("Satisfaction and NPS trend")

    @register("satisfaction", title, order=100)
    def satisfaction(user, filters: Filters):
        from guanxi.surveys.selectors import satisfaction_trend

        data = satisfaction_trend(user, **_period(filters))
        return to_chart("satisfaction", title, "line", data)


def register_ticket_stats() -> None:
    if not apps.is_installed("guanxi.tickets"):
        return
    title = gettext_lazy("Ticket volume and SLA")

    @register("tickets", title, order=110)
    def tickets(user, filters: Filters):
        from guanxi.tickets.selectors import dashboard_ticket_stats

        data = dashboard_ticket_stats(user, **_period(filters))
        return to_chart("tickets", title, "bar", data)


def register_all() -> None:
    register_pipeline_funnel()
    register_satisfaction_trend()
    register_ticket_stats()
