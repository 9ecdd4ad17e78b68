"""Background work of data quality: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context
from guanxi.customers.completeness import recompute_all
from guanxi.jobs.services import handler

from . import services


@db_periodic_task(crontab(hour="6", minute="7"))
def create_data_check_tasks_daily() -> None:
    """Every morning: a data-check task for the owner of each customer whose record is due."""
    with context.acting_as(source=context.Source.JOB):
        services.create_data_check_tasks()


@handler("quality.recompute")
def recompute(job, progress) -> dict:
    """Recompute every customer's completeness (and, with params {"keys": true}, the search
    keys) in id ranges, one transaction each, with progress."""

    def report(done: int, total: int) -> None:
        if progress.job.progress_total != total:
            progress.set_total(total)
        progress.advance_to(done, force=True)

    size, changed = recompute_all(keys=bool((job.params or {}).get("keys")), on_batch=report)
    return {"customers": size, "changed": changed}
