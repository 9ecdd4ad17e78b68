"""Background jobs of the customer base: adapters over services."""

from django.db import transaction
from django.db.models import Max, Min
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context
from guanxi.jobs.services import handler

from . import aggregates, services
from .models import Customer


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_recycle_bin_nightly() -> None:
    """Customers deleted more than RECYCLE_BIN_DAYS ago are removed for good."""
    with context.acting_as(source=context.Source.JOB):
        services.purge_recycle_bin()


REBUILD_BATCH = 20_000


@handler("customers.rebuild_aggregates")
def rebuild_aggregates(job, progress) -> dict:
    """Recompute every customer's aggregates from the orders and interactions, in id ranges
    (one transaction each), reporting progress."""
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return {"customers": 0}
    low, high = bounds["low"], bounds["high"]
    progress.set_total(high - low + 1)
    start = low
    while start <= high:
        end = min(start + REBUILD_BATCH - 1, high)
        with transaction.atomic():
            aggregates.refresh_all(id_range=(start, end))
        progress.advance_to(end - low + 1, force=True)
        start = end + 1
    return {"customers": Customer.objects.count()}
