"""Service pages and jobs at scale: tickets, SLA arithmetic, the SLA watch and the needs analysis.

Usage (in a throw-away database):

    export GUANXI_VAR_DIR=$(mktemp -d)
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/service_bench.py --customers 20000 --tickets 200000

Creates customers (two owners), tickets and needs with bulk inserts, then times each case
(median and p95 of N runs) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

# Pages are rendered in-process: plain static URLs, no collectstatic manifest needed.
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
settings.SECURE_SSL_REDIRECT = False
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanxi.accounts.models import Role, Team, User  # noqa: E402
from guanxi.customers import aggregates  # noqa: E402
from guanxi.customers.models import Customer  # noqa: E402
from guanxi.needs.models import Need  # noqa: E402
from guanxi.needs.selectors import analysis  # noqa: E402
from guanxi.tickets import services, sla  # noqa: E402
from guanxi.tickets.models import Ticket, TicketCategory  # noqa: E402
from guanxi.tickets.selectors import dashboard_ticket_stats  # noqa: E402


def timed(fn, runs):
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(ctx)
    times.sort()
    return (
        statistics.median(times),
        times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0],
        queries,
    )


def seed(n_customers, n_tickets):
    team = Team.objects.create(name="Bench")
    team.path = f"/{team.pk}/"
    team.save()
    admin = User.objects.create_user(
        "bench_admin", password="x", role=Role.objects.get(code="admin")
    )
    rep = User.objects.create_user(
        "bench_rep", password="x", role=Role.objects.get(code="sales"), team=team
    )
    rng = random.Random(7)
    grades = ["vip", "important", "normal"]
    with transaction.atomic():
        Customer.objects.bulk_create(
            [
                Customer(
                    display_name=f"客户{i}",
                    owner=rep if i % 100 == 0 else admin,
                    team=team,
                    grade=rng.choice(grades),
                    industry=rng.choice(["零售", "制造", "教育", ""]),
                )
                for i in range(n_customers)
            ],
            batch_size=2000,
        )
    ids = list(Customer.objects.values_list("id", flat=True))
    cats = list(TicketCategory.objects.values_list("id", flat=True))
    now = timezone.now()
    statuses = ["new", "in_progress", "waiting", "resolved", "closed", "closed", "closed"]
    with transaction.atomic():
        batch = []
        for i in range(n_tickets):
            created = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 365))
            status = rng.choice(statuses)
            batch.append(
                Ticket(
                    customer_id=rng.choice(ids),
                    category_id=rng.choice(cats),
                    subject=f"工单 {i}",
                    status=status,
                    priority=rng.choice(["low", "normal", "high", "urgent"]),
                    assignee=admin,
                    created_at=created,
                    sla_started_at=created,
                    first_response_due_at=created + dt.timedelta(hours=rng.randint(1, 48)),
                    resolution_due_at=created + dt.timedelta(hours=rng.randint(8, 200)),
                    first_response_met=rng.random() < 0.8
                    if status in ("resolved", "closed")
                    else None,
                    resolution_met=rng.random() < 0.7 if status in ("resolved", "closed") else None,
                    resolved_at=created + dt.timedelta(hours=5)
                    if status in ("resolved", "closed")
                    else None,
                )
            )
            if len(batch) == 5000:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
    # auto_now_add set created_at to now: spread the tickets over the year again, in SQL
    with connection.cursor() as cur:
        cur.execute("UPDATE tickets_ticket SET created_at = sla_started_at")
    with transaction.atomic():
        Need.objects.bulk_create(
            [
                Need(
                    customer_id=rng.choice(ids),
                    title=rng.choice(["批量折扣", "周末送货", "电子发票", "更多颜色", "上门安装"]),
                    category=rng.choice(["product", "service", "price", "other"]),
                )
                for _ in range(n_tickets // 4)
            ],
            batch_size=5000,
        )
    return admin, rep


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--tickets", type=int, default=200000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    t0 = time.perf_counter()
    admin, rep = seed(args.customers, args.tickets)
    print(f"seeded in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    aggregates.refresh_ticket_aggregates()
    print(
        f"open-ticket aggregate rebuilt for {args.customers} customers in "
        f"{(time.perf_counter() - t0) * 1000:.0f} ms"
    )

    hours = sla.BusinessHours()
    start = dt.datetime(2025, 9, 30, 17, tzinfo=dt.UTC)
    rows = []
    rows.append(
        (
            "SLA: add 8 business hours (one call)",
            *timed(lambda: sla.add_business_time(start, dt.timedelta(hours=8), hours), 200),
        )
    )
    rows.append(
        (
            "SLA: add 200 business hours (one call)",
            *timed(lambda: sla.add_business_time(start, dt.timedelta(hours=200), hours), 200),
        )
    )
    clients = {}
    for user in (admin, rep):
        c = Client()
        c.force_login(user)
        c.get("/tickets/")
        clients[user.username] = c
    for name, c in clients.items():
        rows.append(
            (f"{name}: ticket list, first page", *timed(lambda c=c: c.get("/tickets/"), args.runs))
        )
        rows.append(
            (
                f"{name}: ticket list, breached or due soon",
                *timed(lambda c=c: c.get("/tickets/?breach=at_risk"), args.runs),
            )
        )
        rows.append(
            (
                f"{name}: needs analysis page",
                *timed(lambda c=c: c.get("/needs/analysis/"), max(3, args.runs // 4)),
            )
        )
    today = timezone.localdate()
    rows.append(
        (
            "admin: dashboard_ticket_stats, 12 months",
            *timed(
                lambda: dashboard_ticket_stats(
                    admin, date_from=today - dt.timedelta(days=365), date_to=today
                ),
                5,
            ),
        )
    )
    rows.append(("admin: needs analysis selector", *timed(lambda: analysis(user=admin), 5)))
    rows.append(("SLA watch, one batch (500 tickets)", *timed(lambda: services.check_sla(), 3)))
    print("| case | p50 ms | p95 ms | queries |\n|---|---:|---:|---:|")
    for name, p50, p95, q in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {q} |")


if __name__ == "__main__":
    main()
