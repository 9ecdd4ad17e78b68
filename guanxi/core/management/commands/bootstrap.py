"""`manage.py bootstrap`: make a fresh installation usable, and do nothing twice.

1. The first administrator: from DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD when
   set, otherwise `admin` with a random password that is printed once and stored only as a hash.
   Once an administrator exists, later runs say so and change nothing.
2. Demo data, through `manage.py seed_demo`, only when the database holds no customers, products
   or orders, so that real data is never mixed with made-up data; then the figures the nightly
   jobs derive from it (scores, cost totals, dashboard summary, recommendations).

`make run` (scripts/run.sh) calls it after `migrate`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from guanxi.accounts.models import Role, User
from guanxi.accounts.policies import DEFAULT_ROLES
from guanxi.audit import services as audit
from guanxi.core.context import Source, acting_as
from guanxi.core.demo_workflows import seed_workflows
from guanxi.customers.models import Customer
from guanxi.sales.models import Order, Product

DEFAULT_USERNAME = "admin"
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class AdminResult:
    username: str
    created: bool
    # The password to print: only for a newly made random one, never for one from the env.
    password: str | None = None
    from_env: bool = False


def _admin_role() -> Role:
    spec = DEFAULT_ROLES[ADMIN_ROLE]
    role, _created = Role.objects.get_or_create(
        code=ADMIN_ROLE,
        defaults={
            "name": spec["name"],
            "is_admin": True,
            "data_scope": spec["data_scope"],
            "can_view_contact_details": spec["can_view_contact_details"],
            "permissions": spec["permissions"],
        },
    )
    return role


@transaction.atomic
def ensure_admin() -> AdminResult:
    """Create the first administrator unless one exists. Idempotent."""
    username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip() or DEFAULT_USERNAME
    env_password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")

    admins = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role__code=ADMIN_ROLE)
    )
    first_admin = admins.filter(username=username).first() or admins.order_by("pk").first()
    if first_admin is not None:
        return AdminResult(username=first_admin.username, created=False)
    if User.objects.filter(username=username).exists():
        raise CommandError(
            f"A user named {username!r} exists but is not an administrator. "
            "Set DJANGO_SUPERUSER_USERNAME to another name."
        )

    user = User(
        username=username,
        email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""),
        is_staff=True,
        is_superuser=True,
        role=_admin_role(),
    )
    password = env_password or secrets.token_urlsafe(12)
    if env_password:
        try:
            validate_password(env_password, user)
        except ValidationError as exc:
            raise CommandError(
                "DJANGO_SUPERUSER_PASSWORD is too weak: " + " ".join(exc.messages)
            ) from None
    user.set_password(password)
    user.full_clean(exclude=["version", "password", "last_login", "date_joined"])
    user.save()
    with acting_as(source=Source.SYSTEM):
        audit.record_create(
            actor=None,
            instance=user,
            fields=("username", "email", "role", "is_staff", "is_superuser"),
        )
    return AdminResult(
        username=username,
        created=True,
        password=None if env_password else password,
        from_env=bool(env_password),
    )


def database_is_empty() -> bool:
    """No customers, products or orders: nothing real that demo data could be mixed with."""
    return not (
        Customer._base_manager.exists()
        or Product._base_manager.exists()
        or Order._base_manager.exists()
    )


def load_demo(*, customers: int, orders: int, out=print) -> None:
    call_command("seed_demo", customers=customers, orders=orders)
    seed_workflows(out=out)
    derive_demo_figures(out=out)


def derive_demo_figures(*, out=print) -> None:
    """What the periodic jobs would derive from the demo only at night: cost totals, scores,
    stages and warnings with their win-back tasks (as the recompute job does), the dashboard
    summary and the product co-occurrences, so the demo shows them from the start."""
    from guanxi.analytics import services as analytics
    from guanxi.reports import services as reports

    with acting_as(source=Source.JOB):
        analytics.rebuild_costs()
        result = analytics.recompute_all()
        tasks = analytics.create_winback_tasks() if analytics.get_settings().create_tasks else 0
        reports.refresh_dashboard_summary()
        reports.compute_affinity()
    out(
        f"Demo scores: {result['customers']} customers scored, {result['warnings']} churn "
        f"warnings, {tasks} win-back tasks."
    )


class Command(BaseCommand):
    help = (
        "Create the first administrator and, in an empty database, demo data. "
        "Safe to run again: it never creates a second administrator or more demo data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where the app is served (printed)."
        )
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load demo data, even if empty."
        )
        parser.add_argument("--customers", type=int, default=2000, help="Demo customers.")
        parser.add_argument("--orders", type=int, default=10000, help="Demo orders.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = ensure_admin()

        if options["no_demo"]:
            self.stdout.write("Demo data: skipped (--no-demo).")
        elif database_is_empty():
            self.stdout.write(
                f"Demo data: loading {options['customers']} customers and "
                f"{options['orders']} orders into the empty database…"
            )
            self.stdout.flush()
            load_demo(
                customers=options["customers"], orders=options["orders"], out=self.stdout.write
            )
            self.stdout.write("Demo data: loaded.")
        else:
            self.stdout.write("Demo data: not loaded, the database already holds data.")

        self._print_login(result, options["url"])

    def _print_login(self, result: AdminResult, url: str) -> None:
        lines = ["", f"Guanxi: {url}", f"  username: {result.username}"]
        if result.created and result.password:
            lines += [
                f"  password: {result.password}",
                "  This password is shown only once and not stored anywhere in plain text.",
                f"  Change it after logging in, or with `manage.py changepassword "
                f"{result.username}`.",
            ]
        elif result.created:
            lines.append("  password: the one in DJANGO_SUPERUSER_PASSWORD")
        else:
            lines += [
                "  The administrator already exists; its password has not changed.",
                f"  Forgot it? `manage.py changepassword {result.username}` sets a new one.",
            ]
        lines.append("")
        self.stdout.write(
            self.style.SUCCESS("Administrator created.")
            if result.created
            else "Administrator: already exists."
        )
        self.stdout.write("\n".join(lines))
