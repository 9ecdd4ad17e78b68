"""Background jobs of tasks: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


@db_periodic_task(crontab(minute="*/5"))
def send_task_reminders() -> None:
    """Every five minutes: e-mail the assignees of tasks due within half an hour."""
    with context.acting_as(source=context.Source.JOB):
        services.send_due_reminders()
