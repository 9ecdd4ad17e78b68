"""Periodic rebuilds of the dashboard summary and the product co-occurrence scores."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


@db_periodic_task(crontab(minute=f"*/{max(1, min(59, settings.REPORTS_SUMMARY_MINUTES))}"))
def refresh_dashboard_summary() -> None:
    """The figures of the dashboard for users who see every customer (scope "all")."""
    with context.acting_as(source=context.Source.JOB):
        services.refresh_dashboard_summary()


@db_periodic_task(crontab(hour="4", minute="7"))
def compute_affinity() -> None:
    """Nightly: which products are bought by the same customers (recommendations)."""
    with context.acting_as(source=context.Source.JOB):
        services.compute_affinity()
