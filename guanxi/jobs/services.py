"""Starting background jobs and reporting their progress.

A job kind is a function registered with `@handler("kind")`; it receives the Job and a
`Progress` to report with. `start_job` records the job and enqueues it once the surrounding
transaction commits, so a job never runs against data that was rolled back.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from guanxi.core import context

from .models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


class Progress:
    """Writes progress to the job row, at most every `every` steps."""

    def __init__(self, job: Job, *, every: int = 1):
        self.job = job
        self.every = max(1, every)
        self._last = 0

    def set_total(self, total: int) -> None:
        self.job.progress_total = total
        Job.objects.filter(pk=self.job.pk).update(progress_total=total)

    def advance_to(self, done: int, *, force: bool = False) -> None:
        self.job.progress_done = done
        if force or done - self._last >= self.every:
            self._last = done
            Job.objects.filter(pk=self.job.pk).update(progress_done=done)


# A job queued or running for longer than this is taken for one whose consumer died.
STALE_AFTER = dt.timedelta(hours=2)


def under_way(
    kind: str, *, within: dt.timedelta = STALE_AFTER, without_param: str | None = None
) -> Job | None:
    """The latest job of this kind still queued or running, if it was created within the
    given time (an older one is taken for one whose consumer died); with `without_param`,
    only a job whose params do not name it (a recompute for today, not as of a past date)."""
    qs = Job.objects.filter(
        kind=kind,
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
        created_at__gte=timezone.now() - within,
    )
    if without_param:
        qs = qs.exclude(params__has_key=without_param)
    return qs.order_by("-created_at").first()


def refuse_if_under_way(kind: str, message: str) -> None:
    """For jobs over the whole base, that a second click (or a colleague's) would only run
    twice: a ValidationError with `message` (its %(ago)s: how long ago the job started)."""
    from django.core.exceptions import ValidationError
    from django.utils.timesince import timesince

    job = under_way(kind)
    if job is not None:
        if timezone.now() - job.created_at < dt.timedelta(minutes=1):
            ago = gettext("less than a minute")  # timesince would say "0 minutes"
        else:
            ago = timesince(job.created_at)
        raise ValidationError(message % {"ago": ago})


def start_job(*, kind: str, actor=None, params: dict[str, Any] | None = None) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"Unknown job kind: {kind}")
    job = Job.objects.create(
        kind=kind, params=params or {}, created_by=actor if getattr(actor, "pk", None) else None
    )
    from .tasks import run_job  # the huey task; imported late to keep services import-light

    transaction.on_commit(lambda: run_job(str(job.pk)))
    return job


def execute(job_id: str) -> Job:
    """Run a job now (called by the huey task). Failures are recorded on the job."""
    job = Job.objects.get(pk=job_id)
    if job.status == JobStatus.SUCCEEDED:
        return job
    fn = _HANDLERS[job.kind]
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=job.attempts + 1
    )
    job.refresh_from_db()
    try:
        with context.acting_as(source=context.Source.JOB):
            result = fn(job, Progress(job, every=1000)) or {}
    except Exception as exc:  # recorded on the job for the user, logged for the operator
        log.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}",
            result={"traceback": traceback.format_exc(limit=5)},
        )
        raise
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        result=result,
        progress_done=job.progress_done if job.progress_total else 0,
    )
    job.refresh_from_db()
    return job
