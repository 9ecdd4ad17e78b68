"""huey tasks: adapters that run registered job handlers."""

from huey.contrib.djhuey import db_task

from . import services


@db_task(retries=2, retry_delay=30)
def run_job(job_id: str) -> None:
    services.execute(job_id)
