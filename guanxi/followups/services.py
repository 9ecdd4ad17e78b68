"""Writes to tasks: validated, permission-checked, audited, optimistically locked."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.versioning import check_version
from guanxi.customers.policies import assignable_owner_q, can_see

from .models import Recurrence, Task, TaskStatus
from .policies import may_change

log = logging.getLogger(__name__)

FIELDS = (
    "customer",
    "kind",
    "title",
    "notes",
    "assignee",
    "due_at",
    "priority",
    "recurrence",
)
AUDITED = (*FIELDS, "status", "completed_at")

REMIND_AHEAD = dt.timedelta(minutes=30)
REMIND_BATCH = 500


def _check_assignee(actor: User, task: Task, previous_assignee: int | None) -> None:
    if task.assignee_id is None:
        raise ValidationError({"assignee": _("This field is required.")})
    if task.assignee_id == previous_assignee:
        return
    if not User.objects.filter(assignable_owner_q(actor), pk=task.assignee_id).exists():
        raise ValidationError({"assignee": _("You cannot assign tasks to this user.")})


def _local_day(moment: dt.datetime) -> dt.date:
    """The day of `moment` where the user lives; a time too far out to convert (year 1 or
    9999 in another zone) counts as its own day, which the range check then refuses."""
    if timezone.is_naive(moment):
        return moment.date()
    try:
        return timezone.localtime(moment).date()
    except OverflowError:
        return moment.date()


def _prepare(actor: User, task: Task, data: dict[str, Any], previous_assignee=None) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    old_customer = task.customer_id
    for field, value in data.items():
        setattr(task, field, value)
    task.title = " ".join((task.title or "").split())
    task.notes = (task.notes or "").strip()
    if not task.title:
        raise ValidationError({"title": _("This field is required.")})
    if task.due_at is None:
        raise ValidationError({"due_at": _("This field is required.")})
    if not FIRST_DATE <= _local_day(task.due_at) <= LAST_DATE:
        raise ValidationError({"due_at": date_range_message()})
    if task.customer_id and task.customer_id != old_customer:
        if task.customer.deleted_at is not None:
            raise ValidationError({"customer": _("This customer is in the recycle bin.")})
        if not can_see(actor, task.customer):
            raise ValidationError({"customer": _("There is no such customer.")})
    _check_assignee(actor, task, previous_assignee)
    task.full_clean(exclude=["customer", "assignee", "created_by"], validate_unique=False)


@transaction.atomic
def create_task(*, actor: User, data: dict[str, Any]) -> Task:
    if not has_perm(actor, "tasks", "create"):
        raise PermissionDeniedError()
    data = dict(data)
    if data.get("assignee") is None:
        data["assignee"] = actor
    task = Task(created_by=actor if actor.pk else None)
    _prepare(actor, task, data)
    task.save()
    audit.record_create(actor=actor, instance=task, fields=AUDITED, customer_id=task.customer_id)
    return task


@transaction.atomic
def link_to_ticket(task: Task, ticket_id: int) -> None:
    """The task reminds of this ticket (an SLA alert): settle_ticket_tasks ends it."""
    Task.objects.filter(pk=task.pk).update(ticket_id=ticket_id)


@transaction.atomic
def settle_ticket_tasks(*, ticket_id: int) -> int:
    """The open tasks that remind of a ticket are done once it is resolved or closed, whoever
    did it: an SLA alert has nothing left to ask for. Returns how many were done."""
    now = timezone.now()
    done = 0
    for task in Task.objects.select_for_update().filter(
        ticket_id=ticket_id, status=TaskStatus.OPEN
    ):
        before = audit.snapshot(task, AUDITED)
        task.status, task.completed_at = TaskStatus.DONE, now
        changes = audit.diff(before, audit.snapshot(task, AUDITED))
        task.version = F("version") + 1
        task.save(update_fields=["status", "completed_at", "version", "updated_at"])
        audit.record(
            actor=None,
            action=AuditAction.UPDATE,
            instance=task,
            changes=changes,
            customer_id=task.customer_id,
        )
        done += 1
    return done


@transaction.atomic
def update_task(*, actor: User, task: Task, data: dict[str, Any], version: int | None) -> Task:
    locked = Task.objects.select_for_update(of=("self",)).select_related("customer").get(pk=task.pk)
    check_version(locked, version)
    if not may_change(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, AUDITED)
    _prepare(actor, locked, data, previous_assignee=locked.assignee_id)
    changes = audit.diff(before, audit.snapshot(locked, AUDITED))
    if not changes:
        return locked
    if "due_at" in changes or "assignee" in changes:
        locked.reminded_at = None  # a new time or a new person: remind again
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


def next_due(due: dt.datetime, recurrence: str) -> dt.datetime:
    """The due time one period after `due` (a month after 31 January is the end of February)."""
    if recurrence == Recurrence.DAILY:
        return due + dt.timedelta(days=1)
    if recurrence == Recurrence.WEEKLY:
        return due + dt.timedelta(weeks=1)
    if recurrence == Recurrence.MONTHLY:
        local = timezone.localtime(due)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        day = min(local.day, calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day)
    raise ValueError(recurrence)


def _set_status(
    *, actor: User, task: Task, status: str, version: int | None, action: str = "change"
) -> Task:
    locked = Task.objects.select_for_update(of=("self",)).select_related("customer").get(pk=task.pk)
    if version is not None:
        check_version(locked, version)
    if not may_change(actor, locked, action):
        raise PermissionDeniedError()
    if status == TaskStatus.OPEN:
        if locked.status == TaskStatus.OPEN:
            raise ValidationError({"status": _("This task is already open.")})
    elif locked.status != TaskStatus.OPEN:
        raise ValidationError({"status": _("This task is no longer open.")})
    before = audit.snapshot(locked, AUDITED)
    locked.status = status
    locked.completed_at = timezone.now() if status == TaskStatus.DONE else None
    if status == TaskStatus.OPEN:
        locked.reminded_at = None  # open again: remind again when it falls due
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=audit.diff(before, audit.snapshot(locked, AUDITED)),
        customer_id=locked.customer_id,
    )
    return locked


@transaction.atomic
def complete_task(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Mark the task done; a recurring task gets its next occurrence, one period later."""
    done = _set_status(actor=actor, task=task, status=TaskStatus.DONE, version=version)
    if done.recurrence != Recurrence.NONE:
        follow = Task(
            customer_id=done.customer_id,
            kind=done.kind,
            title=done.title,
            notes=done.notes,
            assignee_id=done.assignee_id,
            created_by_id=done.created_by_id,
            due_at=next_due(done.due_at, done.recurrence),
            priority=done.priority,
            recurrence=done.recurrence,
        )
        follow.save()
        audit.record_create(
            actor=actor, instance=follow, fields=AUDITED, customer_id=follow.customer_id
        )
    return done


@transaction.atomic
def cancel_task(*, actor: User, task: Task, version: int | None = None) -> Task:
    return _set_status(actor=actor, task=task, status=TaskStatus.CANCELLED, version=version)


@transaction.atomic
def reopen_task(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Open a done or cancelled task again (a recurring task's next occurrence stays)."""
    return _set_status(actor=actor, task=task, status=TaskStatus.OPEN, version=version)


CLOSE_BATCH = 5000


@transaction.atomic
def close_system_tasks(
    *, task_ids: Iterable[int], status: str, note: Callable[[], str], now=None
) -> list[int]:
    """Close open tasks for the system, not a person (the reason for them went away: a
    win-back task when the customer buys again): done or cancelled, with `note` appended to
    each task's notes in its assignee's language (`note` is called once per language, under
    that language), audited with no actor. In bulk, a batch of tasks at a time: one read and
    one executemany per batch, one audit insert; tasks no longer open are left as they are.
    A recurring task gets no next occurrence: its reason went away. Returns the ids closed."""
    if status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise ValueError(status)
    now = now or timezone.now()
    completed = now if status == TaskStatus.DONE else None
    ids = sorted({int(i) for i in task_ids})
    notes_by_language: dict[str, str] = {}
    closed: list[int] = []
    adapt = connection.ops.adapt_datetimefield_value
    fixed = (str(status), adapt(completed) if completed else None)
    sql = (
        f"UPDATE {connection.ops.quote_name(Task._meta.db_table)} "  # noqa: S608 (the model's table; values are bound)
        "SET status = %s, completed_at = %s, notes = %s, version = version + 1, "
        "updated_at = %s WHERE id = %s"
    )
    for low in range(0, len(ids), CLOSE_BATCH):
        rows = list(
            Task.objects.select_for_update(of=("self",))
            .filter(pk__in=ids[low : low + CLOSE_BATCH], status=TaskStatus.OPEN)
            .order_by("pk")
            .values_list("pk", "title", "notes", "customer_id", "assignee__language")
        )
        updates, events = [], []
        for pk, title, notes, customer_id, language in rows:
            language = language or settings.LANGUAGE_CODE
            if language not in notes_by_language:
                with translation.override(language):
                    notes_by_language[language] = str(note())
            added = notes_by_language[language]
            new_notes = f"{notes}\n\n{added}" if notes else added
            updates.append((pk, new_notes))
            changes = {"status": [TaskStatus.OPEN.value, status], "notes": [notes, new_notes]}
            if completed is not None:
                changes["completed_at"] = [None, completed]
            events.append(("followups.task", pk, title, changes, customer_id))
        if not updates:
            continue
        with connection.cursor() as cursor:
            cursor.executemany(
                sql, [(*fixed, new_notes, adapt(now), pk) for pk, new_notes in updates]
            )
        audit.record_rows(actor=None, action=AuditAction.UPDATE, rows=events)
        closed += [pk for pk, _notes in updates]
    return closed


@transaction.atomic
def delete_task(*, actor: User, task: Task) -> None:
    if not may_change(actor, task, "delete"):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=task,
        changes=audit.diff(audit.snapshot(task, AUDITED), {k: None for k in AUDITED}),
        customer_id=task.customer_id,
    )
    task.delete()


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """E-mail each assignee about their open tasks due within REMIND_AHEAD (or overdue) that
    have not been reminded yet; each task is reminded at most once. Returns how many were."""
    now = now or timezone.now()
    due = (
        Task.objects.filter(
            status=TaskStatus.OPEN, reminded_at__isnull=True, due_at__lte=now + REMIND_AHEAD
        )
        .select_related("assignee", "customer")
        .order_by("due_at", "id")[:REMIND_BATCH]
    )
    sent = 0
    for task in due:
        # Claim the task first, so that two consumers never remind twice.
        claimed = Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now)
        if not claimed:
            continue
        assignee = task.assignee
        if not assignee.is_active or not assignee.email:
            continue
        try:
            _send_reminder(task, assignee)
        except Exception:  # a broken mailer must not stop the other reminders
            log.exception("could not send the reminder for task %s", task.pk)
            continue
        sent += 1
    return sent


def _send_reminder(task: Task, assignee: User) -> None:
    from .selectors import user_zone

    language = assignee.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(user_zone(assignee)):
        when = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
        subject = _("Task due: %(title)s") % {"title": task.title}
        lines = [
            _("Your task “%(title)s” is due at %(when)s.") % {"title": task.title, "when": when}
        ]
        if task.customer_id:
            lines.append(_("Customer: %(name)s") % {"name": task.customer.display_name})
        if task.notes:
            lines += ["", task.notes]
        send_mail(subject, "\n".join(lines), None, [assignee.email])


@transaction.atomic
def create_system_task(
    *,
    assignee: User,
    title: str,
    due_at: dt.datetime,
    customer=None,
    kind: str = "follow_up",
    notes: str = "",
    priority: str = "normal",
) -> Task:
    """A task made by the system (care plans, greetings, the public pool) for a user: no acting
    user to check rights for; validated and audited like any other task (actor: the system)."""
    task = Task(
        customer=customer,
        kind=kind,
        title=" ".join(title.split())[:200],
        notes=notes.strip(),
        assignee=assignee,
        due_at=due_at,
        priority=priority,
    )
    if not task.title:
        raise ValidationError({"title": _("This field is required.")})
    task.full_clean(exclude=["customer", "assignee", "created_by"], validate_unique=False)
    task.save()
    audit.record_create(actor=None, instance=task, fields=AUDITED, customer_id=task.customer_id)
    return task
