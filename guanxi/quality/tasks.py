"""Background work of data quality: adapters over services."""

from django.db import transaction
from django.db.models import Max, Min
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context
from guanxi.customers.completeness import key_function, recompute_range
from guanxi.customers.models import Address, Contact, ContactPoint, Customer
from guanxi.jobs.services import handler

from . import services

RECOMPUTE_BATCH = 5000


@db_periodic_task(crontab(hour="6", minute="7"))
def create_data_check_tasks_daily() -> None:
    """Every morning: a data-check task for the owner of each customer whose record is due."""
    with context.acting_as(source=context.Source.JOB):
        services.create_data_check_tasks()


@handler("quality.recompute")
def recompute(job, progress) -> dict:
    """Recompute every customer's completeness (and, with params {"keys": true}, the search
    keys) in id ranges, one transaction each, with progress."""
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return {"customers": 0, "changed": 0}
    low, high = bounds["low"], bounds["high"]
    progress.set_total(high - low + 1)
    keys = key_function if (job.params or {}).get("keys") else None
    changed = 0
    start = low
    while start <= high:
        end = min(start + RECOMPUTE_BATCH - 1, high)
        with transaction.atomic():
            changed += recompute_range(
                Customer=Customer,
                ContactPoint=ContactPoint,
                Address=Address,
                Contact=Contact,
                low=start,
                high=end,
                keys=keys,
            )
        progress.advance_to(end - low + 1, force=True)
        start = end + 1
    return {"customers": high - low + 1, "changed": changed}
