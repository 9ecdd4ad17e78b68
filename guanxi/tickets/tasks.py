"""Background jobs of tickets: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


@db_periodic_task(crontab(minute="*/5"))
def watch_ticket_sla() -> None:
    """Every five minutes: flag tickets due soon or past their SLA and tell their assignees."""
    with context.acting_as(source=context.Source.JOB):
        services.check_sla()
