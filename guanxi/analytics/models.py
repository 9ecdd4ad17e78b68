"""Scores of each customer, computed from the per-customer aggregates (DESIGN.md: one row per
customer, not every order). A narrow table of its own, one row per customer, so that a full
recompute rewrites small rows instead of the wide customer rows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("champions")
    LOYAL = "loyal", pgettext_lazy("RFM segment", "loyal")
    POTENTIAL = "potential", _("potential loyalists")
    NEW = "new", pgettext_lazy("RFM segment", "new")
    PROMISING = "promising", _("promising")
    NEED_ATTENTION = "need_attention", _("need attention")
    AT_RISK = "at_risk", pgettext_lazy("RFM segment", "at risk")
    CANNOT_LOSE = "cannot_lose", _("cannot lose them")
    HIBERNATING = "hibernating", _("hibernating")
    LOST = "lost", pgettext_lazy("RFM segment", "lost")


class CustomerScore(models.Model):
    customer = models.OneToOneField(
        "customers.Customer",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
        verbose_name=_("customer"),
    )
    recency_days = models.PositiveIntegerField(_("days since last purchase"), null=True)
    frequency = models.PositiveIntegerField(_("purchases"), default=0)
    monetary = models.DecimalField(_("average spend"), max_digits=14, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField(_("recency score"), default=0)
    f_score = models.PositiveSmallIntegerField(_("frequency score"), default=0)
    m_score = models.PositiveSmallIntegerField(_("monetary score"), default=0)
    rfm_score = models.CharField(_("RFM score"), max_length=3, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=RfmSegment.choices, blank=True
    )
    p_alive = models.FloatField(_("probability alive"), null=True)
    expected_purchases_30d = models.FloatField(_("expected purchases, 30 days"), null=True)
    expected_purchases_90d = models.FloatField(_("expected purchases, 90 days"), null=True)
    expected_purchases_365d = models.FloatField(_("expected purchases, 365 days"), null=True)
    expected_spend = models.DecimalField(
        _("expected average spend"), max_digits=14, decimal_places=2, null=True
    )
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2, null=True)
    churn_risk = models.FloatField(_("churn risk"), null=True)
    profit = models.DecimalField(_("profit"), max_digits=16, decimal_places=2, null=True)
    referral_value = models.DecimalField(
        _("referral value"), max_digits=16, decimal_places=2, null=True
    )
    computed_at = models.DateTimeField(_("computed"), null=True)

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [
            models.Index(fields=["rfm_segment"], name="score_rfm_segment"),
            models.Index(fields=["clv"], name="score_clv"),
            models.Index(fields=["churn_risk"], name="score_churn_risk"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.rfm_score}"
