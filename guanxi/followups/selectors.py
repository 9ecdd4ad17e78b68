"""Reading tasks: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.models import Customer

from .models import Task, TaskStatus
from .policies import task_visible_q


def task_list(*, user: User) -> QuerySet[Task]:
    if not has_perm(user, "tasks", "view"):
        return Task.objects.none()
    return Task.objects.filter(task_visible_q(user))


def task_get(*, user: User, pk: int) -> Task:
    """One task the user may see; Task.DoesNotExist otherwise (a 404 to every adapter)."""
    return task_list(user=user).select_related("customer", "assignee").get(pk=pk)


def user_zone(user: User) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def end_of_today(user: User, now: dt.datetime | None = None) -> dt.datetime:
    """Midnight at the end of the user's today, in their time zone."""
    local = (now or timezone.now()).astimezone(user_zone(user))
    tomorrow = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=local.tzinfo)


def _open_assigned(user: User) -> QuerySet[Task]:
    if not has_perm(user, "tasks", "view"):
        return Task.objects.none()
    # The assignee always sees their own tasks, so no scope filter beyond the live customer.
    return Task.objects.filter(assignee_id=user.pk, status=TaskStatus.OPEN).exclude(
        customer__deleted_at__isnull=False
    )


def my_day(*, user: User, now: dt.datetime | None = None) -> QuerySet[Task]:
    """Open tasks assigned to the user, due by the end of their today; overdue ones first."""
    return _open_assigned(user).filter(due_at__lt=end_of_today(user, now)).order_by("due_at", "id")


def overdue(*, user: User, now: dt.datetime | None = None) -> QuerySet[Task]:
    """Open tasks the user may see whose due time has passed, oldest first."""
    return (
        task_list(user=user)
        .filter(status=TaskStatus.OPEN, due_at__lt=now or timezone.now())
        .order_by("due_at", "id")
    )


def open_tasks(*, user: User) -> QuerySet[Task]:
    return task_list(user=user).filter(status=TaskStatus.OPEN).order_by("due_at", "id")


def closed_tasks(*, user: User) -> QuerySet[Task]:
    """Done and cancelled tasks the user may see, latest due first (to reopen one)."""
    return (
        task_list(user=user)
        .filter(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .order_by("-due_at", "-id")
    )


def customer_open_tasks(*, user: User, customer: Customer, limit: int = 5) -> list[Task]:
    """The open tasks of one customer for its 360° page (one query)."""
    return list(
        open_tasks(user=user)
        .filter(customer_id=customer.pk)
        .select_related("assignee")
        .order_by("due_at", "id")[:limit]
    )


def my_day_count(*, user: User) -> int:
    return my_day(user=user).count()
