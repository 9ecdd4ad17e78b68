"""Reading jobs: a user sees the jobs they started; an admin sees all."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.policies import is_admin

from .models import Job


def job_list(*, user) -> QuerySet[Job]:
    qs = Job.objects.all()
    if not is_admin(user):
        qs = qs.filter(created_by=user)
    return qs
