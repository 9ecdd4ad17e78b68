"""Background jobs of duplicate detection: adapters over services."""

from guanxi.jobs.services import handler

from . import services


@handler("dedup.scan")
def scan_job(job, progress) -> dict:
    """Scan every live customer for duplicates (blocking, then scoring), with progress."""
    return services.scan(progress=progress)
