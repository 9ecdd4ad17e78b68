"""Background jobs of the analytics app: adapters over services."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.jobs.services import handler

from . import services


@handler("analytics.recompute")
def recompute(job, progress) -> dict:
    """A full recompute (fit, scores, stages, warnings), optionally as of a past moment."""
    as_of = job.params.get("as_of")
    result = services.recompute_all(as_of=dt.datetime.fromisoformat(as_of) if as_of else None)
    if not as_of and services.get_settings().create_tasks:
        result["winback_tasks"] = services.create_winback_tasks()
    if not as_of:
        # Stages, tiers and lifetime values have changed for every customer: the dashboard of
        # those who see all customers reads a summary, refreshed now rather than within the hour.
        from guanxi.reports import services as reports

        result["dashboard_summary_rows"] = reports.refresh_dashboard_summary().rows
    return result


@handler("analytics.rebuild_costs")
def rebuild_costs(job, progress) -> dict:
    """Every customer's cost total from the order lines (after product costs changed)."""
    return {"customers": services.rebuild_costs(progress=progress)}


@db_periodic_task(crontab(hour="2", minute="41"))
def recompute_nightly() -> None:
    """The nightly full recompute, as a job record (its timings and result can be read);
    the job queue runs it."""
    services.start_nightly_recompute()
