"""Periodic work of the knowledge base."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


@db_periodic_task(crontab(hour="8", minute="5"))
def remind_article_reviews() -> int:
    """Every morning: a task for the owner of each article due for review."""
    with context.acting_as(source=context.Source.JOB):
        return services.send_review_reminders()
