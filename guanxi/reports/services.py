"""Rebuilding derived data: the dashboard's summary table and the product co-occurrence scores.
Both are replaced whole inside one transaction, so a reader sees the old or the new figures,
never half of each. Run as jobs (guanxi.jobs) and periodically (tasks.py)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from guanxi.analytics.selectors import stage_time_cells
from guanxi.customers.models import Customer
from guanxi.jobs.services import handler
from guanxi.sales.models import NOT_PURCHASES, Order, OrderLine

from . import charts
from .models import ProductAffinity, SummaryCell, SummaryRun

BATCH = 5000
DEFAULT_MIN_SUPPORT = 3


def _finish(kind: str, rows: int, started: float) -> SummaryRun:
    run, _created = SummaryRun.objects.update_or_create(
        kind=kind,
        defaults={
            "refreshed_at": timezone.now(),
            "rows": rows,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return run


def refresh_dashboard_summary() -> SummaryRun:
    """Recompute every summary figure over all live customers and their orders, per team."""
    started = time.monotonic()
    customers = Customer.objects.filter(deleted_at__isnull=True)
    orders = Order.objects.filter(customer__deleted_at__isnull=True)
    cells = charts.summary_cells(customers, orders)
    # The lifecycle report's figures over all customers: a scan of the whole stage history.
    cells += stage_time_cells(timezone.now())
    with transaction.atomic():
        SummaryCell.objects.all().delete()
        SummaryCell.objects.bulk_create(
            [
                SummaryCell(chart=c, key=k[:100], key2=k2[:40], team_id=t, value=v)
                for c, k, k2, t, v in cells
            ],
            batch_size=BATCH,
        )
        return _finish("dashboard", len(cells), started)


def compute_affinity(*, min_support: int = DEFAULT_MIN_SUPPORT) -> SummaryRun:
    """Item-to-item co-occurrence over customers' purchases.

    A customer's basket is the set of products they ever bought (cancelled and refunded orders
    left out). For each ordered pair of products (A, B) bought by at least `min_support` of the
    same customers: together = customers who bought both, buyers = customers who bought A,
    confidence = together / buyers (the share of A's buyers who also bought B) and
    lift = confidence / (share of all buyers who bought B). Pairs below the support are left
    out: too few customers to mean anything, and too few to be about anyone in particular.
    """
    started = time.monotonic()
    order_t, line_t = Order._meta.db_table, OrderLine._meta.db_table
    excluded = ", ".join(["%s"] * len(NOT_PURCHASES))
    # Table names come from the models; only parameters come from outside.
    basket = (
        "SELECT DISTINCT o.customer_id AS customer_id, l.product_id AS product_id "  # noqa: S608
        f"FROM {line_t} l JOIN {order_t} o ON o.id = l.order_id "
        f"WHERE o.status NOT IN ({excluded})"
    )
    params = [str(s) for s in NOT_PURCHASES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id, COUNT(*) FROM ({basket}) cp GROUP BY product_id",  # noqa: S608
            params,
        )
        buyers = dict(cursor.fetchall())
        cursor.execute(f"SELECT COUNT(DISTINCT customer_id) FROM ({basket}) cp", params)  # noqa: S608
        total = cursor.fetchone()[0] or 0
        cursor.execute(
            f"WITH cp AS ({basket}) "  # noqa: S608 - only parameters come from outside
            "SELECT a.product_id, b.product_id, COUNT(*) FROM cp a "
            "JOIN cp b ON a.customer_id = b.customer_id AND a.product_id <> b.product_id "
            "GROUP BY a.product_id, b.product_id HAVING COUNT(*) >= %s",
            [*params, max(1, int(min_support))],
        )
        pairs = cursor.fetchall()
    now = timezone.now()
    rows = []
    for a, b, together in pairs:
        confidence = together / buyers[a]
        lift = confidence / (buyers[b] / total) if total else 0.0
        rows.append(
            ProductAffinity(
                product_id=a,
                other_id=b,
                together=together,
                buyers=buyers[a],
                confidence=round(confidence, 6),
                lift=round(lift, 6),
                computed_at=now,
            )
        )
    with transaction.atomic():
        ProductAffinity.objects.all().delete()
        ProductAffinity.objects.bulk_create(rows, batch_size=BATCH)
        return _finish("affinity", len(rows), started)


@handler("reports.refresh_summary")
def _refresh_job(job, progress):
    run = refresh_dashboard_summary()
    return {"rows": run.rows, "seconds": run.seconds}


@handler("reports.compute_affinity")
def _affinity_job(job, progress):
    support = int((job.params or {}).get("min_support", DEFAULT_MIN_SUPPORT))
    run = compute_affinity(min_support=support)
    return {"rows": run.rows, "seconds": run.seconds}


def summary_is_stale() -> bool:
    run = SummaryRun.objects.filter(kind="dashboard").first()
    if run is None:
        return True
    age = (timezone.now() - run.refreshed_at).total_seconds()
    return age > settings.REPORTS_SUMMARY_MINUTES * 60


__all__ = ["compute_affinity", "refresh_dashboard_summary"]
