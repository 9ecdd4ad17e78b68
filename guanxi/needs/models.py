"""Customer needs (客户需求): what customers ask for, collected, classified and analysed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedCategory(models.TextChoices):
    PRODUCT = "product", _("product")
    SERVICE = "service", _("service")
    PRICE = "price", _("price")
    OTHER = "other", _("other")


class Importance(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class NeedStatus(models.TextChoices):
    COLLECTED = "collected", _("collected")
    ANALYSING = "analysing", _("analysing")
    PLANNED = "planned", _("planned")
    FULFILLED = "fulfilled", _("fulfilled")
    DECLINED = "declined", _("declined")


class NeedSource(models.TextChoices):
    DIRECT = "direct", _("entered directly")
    INTERACTION = "interaction", _("interaction")
    TICKET = "ticket", _("ticket")


class Need(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="needs",
    )
    title = models.CharField(_("need"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=NeedCategory.choices, default=NeedCategory.PRODUCT
    )
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance.choices, default=Importance.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=20, choices=NeedStatus.choices, default=NeedStatus.COLLECTED
    )
    source = models.CharField(
        _("source"), max_length=20, choices=NeedSource.choices, default=NeedSource.DIRECT
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="need_created"),
            models.Index(fields=["customer", "created_at"], name="need_customer"),
            models.Index(fields=["category", "created_at"], name="need_category"),
            models.Index(fields=["status", "created_at"], name="need_status"),
        ]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.title
