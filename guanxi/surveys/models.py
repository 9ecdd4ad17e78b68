"""Satisfaction surveys (CSAT, NPS, custom questions), the links sent to customers, their
answers, and the improvement actions taken on what they said."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("customer satisfaction (CSAT)")
    NPS = "nps", _("net promoter score (NPS)")
    CUSTOM = "custom", _("custom questions")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")


class QuestionKind(models.TextChoices):
    CSAT = "csat", _("satisfaction 1–5 (CSAT)")
    NPS = "nps", _("likelihood to recommend 0–10 (NPS)")
    TEXT = "text", _("text")
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    SCALE = "scale", _("scale")


class Survey(models.Model):
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    intro = models.TextField(_("introduction"), blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    low_csat = models.PositiveSmallIntegerField(
        _("low CSAT score (at most)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    low_nps = models.PositiveSmallIntegerField(
        _("low NPS score (at most)"), default=6, validators=[MaxValueValidator(10)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="survey_created")]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.title

    @property
    def accepts_answers(self) -> bool:
        if self.status != SurveyStatus.ACTIVE:
            return False
        return self.closes_at is None or self.closes_at > timezone.now()


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(pgettext_lazy("survey question", "required"), default=True)
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=5)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class SurveyLink(models.Model):
    """The one link through which one customer answers one survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    emailed_to = models.CharField(_("e-mailed to"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="surveylink_unique"),
        ]
        indexes = [models.Index(fields=["customer", "expires_at"], name="surveylink_customer")]
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.customer_id}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Response(models.Model):
    """A customer's answer to a survey; they may change it until the survey closes."""

    link = models.OneToOneField(SurveyLink, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_responses"
    )
    answers = models.JSONField(_("answers"), default=dict)
    csat = models.PositiveSmallIntegerField(_("CSAT"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("NPS score"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    submitted_at = models.DateTimeField(_("answered"))
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)
    followup_task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "submitted_at"], name="response_survey_time"),
            models.Index(fields=["submitted_at", "id"], name="response_time"),
            models.Index(fields=["customer", "submitted_at"], name="response_customer"),
        ]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.customer_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class ImprovementAction(models.Model):
    """Something the company does about what customers said: a survey's theme, a ticket or a
    need that prompted it."""

    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="improvement_actions",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    need = models.ForeignKey(
        "needs.Need",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date", "id"], name="action_status_due"),
            models.Index(fields=["owner", "status"], name="action_owner"),
        ]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )
