"""Background jobs of imports and exports: adapters over services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core import context
from guanxi.jobs.services import handler

from . import services


@handler(services.IMPORT_JOB)
def run_import(job, progress) -> dict:
    return services.run_import(import_id=job.params["import_id"], progress=progress)


@handler(services.EXPORT_JOB)
def run_export(job, progress) -> dict:
    return services.run_export(export_id=job.params["export_id"], progress=progress)


@db_periodic_task(crontab(hour="3", minute="41"))
def delete_old_files_nightly() -> None:
    """Uploaded and exported files older than TRANSFER_KEEP_DAYS are deleted."""
    with context.acting_as(source=context.Source.JOB):
        services.delete_old_files()
