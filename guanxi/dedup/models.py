"""Duplicate candidates found by the scan, the thresholds that rank them, and merges (kept so
that a merge can be undone)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DedupSettings(models.Model):
    """The administrator's thresholds (one row)."""

    review_threshold = models.FloatField(_("review threshold"), default=0.5)
    likely_threshold = models.FloatField(_("likely-duplicate threshold"), default=0.85)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("duplicate detection settings")
        verbose_name_plural = _("duplicate detection settings")

    def __str__(self) -> str:
        return f"review ≥ {self.review_threshold}, likely ≥ {self.likely_threshold}"


class PairStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("not a duplicate")


class DuplicatePair(models.Model):
    """Two customers that may be one; `customer_a` has the lower id."""

    customer_a = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    customer_b = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN
    )
    scanned_at = models.DateTimeField(_("scanned"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="dedup_pair_unique"),
            models.CheckConstraint(
                condition=Q(customer_a__lt=models.F("customer_b")), name="dedup_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "score", "id"], name="dedup_pair_queue"),
            models.Index(fields=["score", "id"], name="dedup_pair_score"),
            models.Index(fields=["customer_b"], name="dedup_pair_b"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.score:.2f})"

    @property
    def percent(self) -> int:
        return round(self.score * 100)


class Merge(models.Model):
    """One merge: what the survivor looked like before, what moved from the loser, so that it
    can be undone."""

    survivor = models.ForeignKey(
        "customers.Customer",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("surviving customer"),
    )
    loser = models.ForeignKey(
        "customers.Customer",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("merged customer"),
    )
    survivor_name = models.CharField(_("surviving customer"), max_length=200)
    loser_name = models.CharField(_("merged customer"), max_length=200)
    choices = models.JSONField(_("field choices"), default=dict)
    # Survivor's field values before and after, for the fields the merge changed.
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    # {"app.model.field": [ids]} of the rows moved from the loser to the survivor.
    moved = models.JSONField(default=dict)
    added_tags = models.JSONField(default=list)
    created_at = models.DateTimeField(_("merged"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [
            models.Index(fields=["loser", "undone_at"], name="dedup_merge_loser"),
            models.Index(fields=["survivor", "-id"], name="dedup_merge_survivor"),
        ]

    def __str__(self) -> str:
        return f"{self.loser_name} → {self.survivor_name}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
