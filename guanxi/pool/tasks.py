"""Background jobs of the public pool: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context

from . import services


# huey reads crontabs in UTC: 18:41 UTC is 02:41 in Asia/Shanghai.
@db_periodic_task(crontab(hour="18", minute="41"))
def return_neglected_customers() -> None:
    """Nightly: customers without a follow-up for POOL_RETURN_DAYS go back to the pool."""
    with context.acting_as(source=context.Source.JOB):
        services.return_neglected()
