"""Follow-up tasks: calls, visits, data checks and other things to do, with a due time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("follow-up")
    CALL = "call", _("call")
    VISIT = "visit", _("visit")
    DATA_CHECK = "data_check", _("data check")
    OTHER = "other", _("other")


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Recurrence(models.TextChoices):
    NONE = "none", _("does not repeat")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class Task(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.FOLLOW_UP
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_tasks",
    )
    due_at = models.DateTimeField(_("due"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE
    )
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    # The ticket a task reminds of (an SLA alert): it is done once the ticket is resolved.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reminders",
        editable=False,
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due"),
            models.Index(fields=["status", "due_at", "id"], name="task_status_due"),
            models.Index(fields=["customer", "status", "due_at"], name="task_customer_due"),
            models.Index(fields=["due_at", "id"], name="task_due"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < timezone.now()
