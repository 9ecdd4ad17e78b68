"""The charts other apps contribute: their selectors' real rows become charts, per user."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.customers.models import Customer
from guanxi.reports import external
from guanxi.reports.charts import REGISTRY, Filters

pytestmark = pytest.mark.django_db


def test_funnel_rows_become_stage_counts_and_amounts():
    rows = [
        {"pipeline_id": 1, "pipeline": "默认", "stage_id": 1, "stage": "初步接洽",
         "outcome": "open",
         "position": 0, "count": 3, "amount": {"CNY": Decimal("1200.50")}, "weighted": {}},
        {"pipeline_id": 1, "pipeline": "默认", "stage_id": 2, "stage": "报价", "outcome": "open",
         "position": 1, "count": 1, "amount": {"USD": Decimal("10")}, "weighted": {}},
    ]  # fmt: skip
    chart = external.funnel_chart("Funnel", rows)
    assert chart.categories == ["初步接洽", "报价"]
    assert chart.series[0]["data"] == [3, 1]
    assert chart.series[1]["data"] == [1200.5, 0.0]  # the default currency only
    assert chart.rows[0] == ["初步接洽", 3, 1200.5]


def test_satisfaction_rows_become_monthly_csat_and_nps():
    rows = [
        {"key": dt.date(2026, 1, 1), "label": "2026-01", "responses": 4, "csat_n": 2,
         "csat_avg": 4.5, "csat_satisfied_pct": 100.0, "nps_n": 2, "promoters_pct": 50.0,
         "detractors_pct": 50.0, "nps": 0.0},
        {"key": dt.date(2026, 2, 1), "label": "2026-02", "responses": 1, "csat_n": 0,
         "csat_avg": None, "csat_satisfied_pct": None, "nps_n": 1, "promoters_pct": 100.0,
         "detractors_pct": 0.0, "nps": 100.0},
    ]  # fmt: skip
    chart = external.satisfaction_chart("Satisfaction", rows)
    assert chart.categories == ["2026-01", "2026-02"]
    assert chart.series[0]["data"] == [4.5, None]
    assert chart.series[1]["data"] == [0.0, 100.0]


def test_ticket_chart_from_the_real_selector_counts_only_visible_tickets(two_teams):
    from guanxi.tickets import services
    from guanxi.tickets.models import TicketCategory

    w = two_teams
    customers = {
        rep: Customer.objects.create(display_name=rep.username, owner=rep, team=rep.team)
        for rep in (w.rep_a, w.rep_b)
    }
    for rep, customer in customers.items():
        services.create_ticket(
            actor=rep,
            data={
                "customer": customer,
                "category": TicketCategory.objects.get(code="product"),
                "subject": "坏了",
                "assignee": rep,
            },
        )
    today = timezone.localdate()
    filters = Filters(date_from=today - dt.timedelta(days=1), date_to=today)
    provider = REGISTRY["tickets"].fn
    mine = provider(w.rep_a, filters)
    assert mine.categories == [today.strftime("%Y-%m")]
    assert mine.series[0]["data"] == [1]  # rep_a's ticket, not rep_b's
    assert provider(w.admin, filters).series[0]["data"] == [2]


def test_funnel_and_satisfaction_providers_run_on_the_real_selectors(two_teams):
    filters = Filters()
    for key in ("pipeline_funnel", "satisfaction"):
        chart = REGISTRY[key].fn(two_teams.rep_a, filters)
        assert chart.key == key
        assert len(chart.rows) == len(chart.categories)


def test_the_first_column_of_each_data_table_is_named():
    """The exports' tables began with an unnamed column (an empty cell in CSV and XLSX)."""
    from django.utils import translation

    with translation.override("en"):
        funnel = external.funnel_chart("Funnel", [])
        satisfaction = external.satisfaction_chart("Satisfaction", [])
        tickets = external.ticket_chart("Tickets", [])
    assert funnel.columns[0] == "Stage"
    assert satisfaction.columns[0] == "Month"
    assert tickets.columns[0] == "Month"
