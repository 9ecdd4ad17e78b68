"""Service tickets: complaints, feedback, suggestions and inquiries, worked under an SLA."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint")
    FEEDBACK = "feedback", _("feedback")
    SUGGESTION = "suggestion", _("suggestion")
    INQUIRY = "inquiry", _("inquiry")


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "new")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "in progress")
    WAITING = "waiting", _("waiting on customer")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING)


class TicketSource(models.TextChoices):
    WEB = "web", _("staff (web)")
    API = "api", _("API")
    PORTAL = "portal", _("customer portal")


class SlaAlert(models.TextChoices):
    NONE = "", _("on track")
    DUE_SOON = "due_soon", _("due soon")
    BREACHED = "breached", _("breached")


class TicketCategory(models.Model):
    """A class of ticket (product, service, price, delivery, other…); the admin keeps the list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        if (
            self.name_zh
            and translation.get_language()
            and translation.get_language().startswith("zh")
        ):
            return self.name_zh
        return self.name


class SlaTarget(models.Model):
    """Business hours allowed for the first response and for the resolution, per priority."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_response_hours = models.DecimalField(
        _("first response (business hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0.25), MaxValueValidator(2000)],
    )
    resolution_hours = models.DecimalField(
        _("resolution (business hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0.25), MaxValueValidator(2000)],
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return self.get_priority_display()

    @property
    def first_response(self) -> dt.timedelta:
        return dt.timedelta(hours=float(self.first_response_hours))

    @property
    def resolution(self) -> dt.timedelta:
        return dt.timedelta(hours=float(self.resolution_hours))


class ServiceSettings(models.Model):
    """The one row of service settings (pk=1): business hours and time limits."""

    work_start = models.TimeField(_("business hours start"), default=dt.time(9, 0))
    work_end = models.TimeField(_("business hours end"), default=dt.time(18, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    due_soon_hours = models.DecimalField(
        _("warn this many business hours before a target"),
        max_digits=5,
        decimal_places=2,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    followup_days = models.PositiveIntegerField(
        _("follow-up check, days after closing"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # The administrator's calendar, before the built-in one: ISO dates, sorted.
    days_off = models.JSONField(_("extra days off"), default=list, blank=True)
    workdays = models.JSONField(_("extra working days"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("service settings"))


class AssignmentRule(models.Model):
    """New tickets of a category (or of any category, when none is set) go round-robin to the
    active members of a team. `counter` is advanced under a row lock."""

    category = models.OneToOneField(
        TicketCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignment_rule",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    counter = models.PositiveBigIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        category = self.category or _("default")  # (outside the f-string: makemessages finds it)
        return f"{category} → {self.team}"


class Ticket(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tickets",
    )
    kind = models.CharField(
        _("type"), max_length=20, choices=TicketKind.choices, default=TicketKind.INQUIRY
    )
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    source = models.CharField(
        _("source"), max_length=10, choices=TicketSource.choices, default=TicketSource.WEB
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    # The SLA clock: targets run from sla_started_at (creation, or the last reopening), plus the
    # business time spent waiting on the customer (sla_paused), see services.recompute_due.
    sla_started_at = models.DateTimeField(_("SLA clock started"), null=True, blank=True)
    sla_paused = models.DurationField(_("SLA time paused"), default=dt.timedelta)
    paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sla_alert = models.CharField(
        _("SLA alert"), max_length=10, choices=SlaAlert.choices, default="", blank=True
    )
    first_response_met = models.BooleanField(_("first response on time"), null=True, blank=True)
    resolution_met = models.BooleanField(_("resolved on time"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("satisfaction comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    rating_requested_at = models.DateTimeField(_("rating requested"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Set by the services to the moment the SLA clock starts (auto_now_add would overwrite it at
    # the save, a few microseconds later than the due dates were computed from).
    created_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Knowledge-base articles that answer this ticket (guanxi.kb), linked by the agent.
    articles = models.ManyToManyField(
        "kb.Article",
        verbose_name=_("knowledge-base articles"),
        blank=True,
        related_name="tickets",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["customer", "status"], name="ticket_customer_status"),
            models.Index(fields=["assignee", "status", "created_at"], name="ticket_assignee"),
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_due"),
            models.Index(fields=["status", "first_response_due_at"], name="ticket_status_frdue"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketReply(models.Model):
    """A message on a ticket: public (the customer sees it in the portal) or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_customer = models.BooleanField(_("from the customer"), default=False)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketreply_ticket")]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return self.body[:50]
