"""Data quality: the rules an administrator sets (naming, uniqueness, update cycles), and the
self-service links through which customers correct their own data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_LEGAL_SUFFIXES = [
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "合伙企业（有限合伙）",
    "Co., Ltd.",
    "Ltd.",
    "Limited",
    "Inc.",
    "LLC",
    "GmbH",
]


class QualitySettings(models.Model):
    """One row (pk=1): what the administrator configured on the data quality page."""

    forbidden_words = models.JSONField(_("forbidden words"), default=list, blank=True)
    require_legal_suffix = models.BooleanField(
        _("organisations' legal names must end in a legal form"), default=False
    )
    legal_suffixes = models.JSONField(
        _("legal forms"), default=list, blank=True
    )  # filled with DEFAULT_LEGAL_SUFFIXES when the row is made
    person_name_min = models.PositiveSmallIntegerField(_("shortest person name"), default=1)
    person_name_max = models.PositiveSmallIntegerField(_("longest person name"), default=100)
    organisation_name_min = models.PositiveSmallIntegerField(
        _("shortest organisation name"), default=1
    )
    organisation_name_max = models.PositiveSmallIntegerField(
        _("longest organisation name"), default=200
    )
    unique_phone = models.BooleanField(_("phone numbers are unique"), default=False)
    unique_email = models.BooleanField(_("e-mail addresses are unique"), default=False)
    cycle_vip_days = models.PositiveSmallIntegerField(_("VIP update cycle (days)"), default=90)
    cycle_important_days = models.PositiveSmallIntegerField(
        _("important update cycle (days)"), default=180
    )
    cycle_normal_days = models.PositiveSmallIntegerField(
        _("normal update cycle (days)"), default=365
    )
    incomplete_below = models.PositiveSmallIntegerField(_("incomplete below (score)"), default=60)
    link_days = models.PositiveSmallIntegerField(
        _("self-service links expire after (days)"), default=14
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data quality settings")
        verbose_name_plural = _("data quality settings")

    def __str__(self) -> str:
        return str(_("data quality settings"))

    def cycle_days(self, grade: str) -> int:
        return {
            "vip": self.cycle_vip_days,
            "important": self.cycle_important_days,
        }.get(grade, self.cycle_normal_days)


class LinkState(models.TextChoices):
    LIVE = "live", _("valid")
    USED = "used", _("used")
    REVOKED = "revoked", _("withdrawn")
    EXPIRED = "expired", _("expired")


class SelfServiceLink(models.Model):
    """A signed link for one customer to see and correct their own data. The signature proves
    the link was made here; the row lets it be revoked and says when it was used or expired."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="self_service_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    sent_to = models.CharField(_("sent to"), max_length=200, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="sslink_customer")]
        verbose_name = _("self-service link")
        verbose_name_plural = _("self-service links")

    def __str__(self) -> str:
        return f"link {self.pk} for customer {self.customer_id}"

    @property
    def state(self) -> str:
        """Whether the link can still be used, and if not, why (withdrawn, used, expired)."""
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if self.used_at is not None:
            return LinkState.USED
        if self.expires_at <= timezone.now():
            return LinkState.EXPIRED
        return LinkState.LIVE


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class ChangeRequest(models.Model):
    """Changes a customer proposed through a self-service link, for the owner to accept or
    reject. `proposed` holds service data (names, contact points, addresses, birthday, consent)."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    link = models.ForeignKey(
        SelfServiceLink, null=True, on_delete=models.SET_NULL, related_name="requests"
    )
    proposed = models.JSONField(_("proposed changes"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "customer"], name="changereq_status_customer"),
            models.Index(fields=["customer", "status"], name="changereq_customer_status"),
        ]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self) -> str:
        return f"change request {self.pk} for customer {self.customer_id}"
