"""`manage.py seed_demo`: a realistic demo customer base, fast enough for a million customers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core import demo


class Command(BaseCommand):
    help = (
        "Add demo data: Chinese and English people and companies with contact points, "
        "addresses, contacts and tags; orders over a demo product catalogue and interactions "
        "over the last three years; owners in a demo organisation (team 演示公司 with 华东销售, "
        "华北销售, 华南销售, 客服部 and 数据分析部; users demo-manager-N, demo-sales-N, "
        "demo-service-N, demo-analyst-1). For speed this BYPASSES THE SERVICES: rows are "
        "written with bulk inserts (no validation, no audit records); search keys, normalised "
        "phones, order totals and per-customer aggregates are still computed as the services "
        "do. Demo users cannot log in unless --demo-passwords gives them the password "
        f"'{demo.DEMO_PASSWORD}' (never use that on a reachable server). Run it on a quiet "
        "database: it assigns ids itself."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1000, help="customers to add")
        parser.add_argument("--orders", type=int, default=None, help="orders (default 10×)")
        parser.add_argument(
            "--interactions",
            type=int,
            default=None,
            help=f"interactions (default {demo.DEFAULT_INTERACTIONS_PER_CUSTOMER}× customers)",
        )
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="customers per transaction, with their orders and interactions",
        )
        parser.add_argument(
            "--demo-passwords",
            action="store_true",
            help=f"give the demo users the password '{demo.DEMO_PASSWORD}'",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customers = options["customers"]
        orders = options["orders"] if options["orders"] is not None else customers * 10
        try:
            result = demo.seed(
                customers=customers,
                orders=orders,
                interactions=options["interactions"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                demo_passwords=options["demo_passwords"],
                out=self.stdout.write,
            )
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        total = result.seconds["total"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.customers:,} customers, {result.orders:,} orders "
                f"({result.order_lines:,} lines) and {result.interactions:,} interactions: "
                f"{result.rows:,} rows in {total:.1f} s ({result.rows / max(total, 1e-9):,.0f} "
                "rows/s overall)."
            )
        )
