"""Interactions: every call, message, visit and meeting with a customer."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("chat")
    VISIT = "visit", _("visit")
    MEETING = "meeting", _("meeting")
    SOCIAL = "social", _("social media")
    OTHER = "other", _("other")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("inbound")
    OUTBOUND = "outbound", _("outbound")


class Purpose(models.TextChoices):
    INQUIRY = "inquiry", _("inquiry")
    COMPLAINT = "complaint", _("complaint")
    SUGGESTION = "suggestion", _("suggestion")
    FEEDBACK = "feedback", _("feedback")
    SALES = "sales", _("sales")
    CARE = "care", _("care")
    PRE_SALE = "pre_sale", _("pre-sale")
    AFTER_SALE = "after_sale", _("after-sale service")
    OTHER = "other", _("other")


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", _("successful")
    FOLLOW_UP = "follow_up", _("follow-up needed")
    NO_ANSWER = "no_answer", _("no answer")
    NOT_INTERESTED = "not_interested", _("not interested")
    RESOLVED = "resolved", _("resolved")
    OTHER = "other", _("other")


class Interaction(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.OTHER
    )
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    occurred_at = models.DateTimeField(_("time"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    quality_rating = models.PositiveSmallIntegerField(
        _("quality (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_time")
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return self.subject
