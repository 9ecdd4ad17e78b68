"""Background jobs of customer care: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


# huey reads crontabs in UTC: 23:13 UTC is 07:13 in Asia/Shanghai, 00:07 UTC is 08:07.
@db_periodic_task(crontab(hour="23", minute="13"))
def make_care_plan_tasks() -> None:
    """Daily: a task for the owner of each customer a care plan says is due for contact."""
    with context.acting_as(source=context.Source.JOB):
        services.run_care_plans()


@db_periodic_task(crontab(hour="0", minute="7"))
def send_daily_greetings() -> None:
    """Daily: birthday and festival greetings (e-mails on the day, tasks ahead)."""
    with context.acting_as(source=context.Source.JOB):
        services.send_greetings()
