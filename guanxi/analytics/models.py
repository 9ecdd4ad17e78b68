"""Scores of each customer, computed from the per-customer aggregates (DESIGN.md: one row per
customer, not every order). A narrow table of its own, one row per customer, so that a full
recompute rewrites small rows instead of the wide customer rows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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
    # Cost of what the customer bought at the products' unit costs, kept as orders change.
    cost_total = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, default=0)
    usual_interval_days = models.FloatField(_("usual days between purchases"), null=True)
    warning = models.BooleanField(_("churn warning"), default=False)
    # The win-back task created for the owner when the warning appeared (one open at a time).
    # Indexed only where set (below): the index serves the task's deletion (SET NULL).
    winback_task = models.ForeignKey(
        "followups.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        # Few indexes: the nightly recompute rewrites every row, and builds each index again
        # (docs/benchmarks.md). The warning list and the win-back tasks read the warned
        # customers in id order; the rest is read through the primary key. Segment rules on
        # scores (segment, CLV, churn risk, p(alive), recency...) read the narrow score table
        # in one pass, a fraction of a second at a million customers.
        indexes = [
            models.Index(fields=["customer"], name="score_warned", condition=Q(warning=True)),
            models.Index(
                fields=["winback_task"],
                name="score_winback_task",
                condition=Q(winback_task__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.rfm_score}"


class TierMode(models.TextChoices):
    QUANTILE = "quantile", _("share of customers")
    AMOUNT = "amount", _("amount")


class TierBasis(models.TextChoices):
    CLV = "clv", _("lifetime value")
    TOTAL_SPENT = "total_spent", _("total spent")


class ScoreSettings(models.Model):
    """The thresholds and rules of scoring, one row (pk=1), edited by an administrator."""

    tier_mode = models.CharField(
        _("value tiers by"), max_length=10, choices=TierMode.choices, default=TierMode.QUANTILE
    )
    tier_basis = models.CharField(
        _("value measured by"), max_length=12, choices=TierBasis.choices, default=TierBasis.CLV
    )
    tier_high_share = models.FloatField(_("high tier: top share of customers"), default=0.2)
    tier_mid_share = models.FloatField(_("mid tier: next share of customers"), default=0.3)
    tier_high_amount = models.DecimalField(
        _("high tier: value from"), max_digits=14, decimal_places=2, default=10000
    )
    tier_mid_amount = models.DecimalField(
        _("mid tier: value from"), max_digits=14, decimal_places=2, default=2000
    )
    clv_months = models.PositiveSmallIntegerField(_("lifetime value horizon (months)"), default=12)
    monthly_discount = models.FloatField(_("monthly discount rate"), default=0.01)
    loyal_orders = models.PositiveSmallIntegerField(_("loyal from (purchases)"), default=5)
    at_risk_days = models.PositiveIntegerField(
        _("at risk after (days without purchase)"), default=180
    )
    at_risk_p_alive = models.FloatField(_("at risk below probability alive"), default=0.3)
    churned_days = models.PositiveIntegerField(
        _("churned after (days without purchase)"), default=365
    )
    churned_p_alive = models.FloatField(_("churned below probability alive"), default=0.1)
    dormant_days = models.PositiveIntegerField(
        _("dormant after (days without activity)"), default=90
    )
    warn_p_alive = models.FloatField(_("warn below probability alive"), default=0.3)
    warn_days = models.PositiveIntegerField(_("warn after (days without purchase)"), default=180)
    warn_interval_factor = models.FloatField(
        _("warn after this many usual intervals without purchase"), default=3.0
    )
    create_tasks = models.BooleanField(_("create win-back tasks for the owner"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")

    def __str__(self) -> str:
        return str(_("scoring settings"))


class ModelFit(models.Model):
    """One fit of the lifetime value models, with the cut points of the full run that made it
    (the incremental updates score against them). A backtest (a run "as of" a past moment)
    is kept apart: it changes no customer's scores, is never the fit that scoring uses, and
    records how its predictions compare with the purchases that followed (`holdout`)."""

    fitted_at = models.DateTimeField(_("fitted"), db_index=True)
    as_of = models.DateTimeField(_("as of"))
    customers = models.PositiveIntegerField(_("customers"), default=0)
    r = models.FloatField(null=True)
    alpha = models.FloatField(null=True)
    a = models.FloatField(null=True)
    b = models.FloatField(null=True)
    p = models.FloatField(null=True)
    q = models.FloatField(null=True)
    gamma = models.FloatField(null=True)
    log_likelihood = models.FloatField(null=True)
    converged = models.BooleanField(default=False)
    cuts = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    backtest = models.BooleanField(_("backtest"), default=False)
    holdout = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-fitted_at", "-id"]
        verbose_name = _("model fit")
        verbose_name_plural = _("model fits")

    def __str__(self) -> str:
        return f"fit {self.fitted_at:%Y-%m-%d %H:%M}"


class LifecycleChange(models.Model):
    """A customer's move from one lifecycle stage to another, with its date."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="lifecycle_changes",
        verbose_name=_("customer"),
    )
    # In their own context: a bare "from" / "to" is a date range's (起 / 至) in other apps.
    from_stage = models.CharField(
        pgettext_lazy("lifecycle stage", "from"), max_length=20, blank=True
    )
    to_stage = models.CharField(pgettext_lazy("lifecycle stage", "to"), max_length=20)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["customer_id", "changed_at", "id"]
        indexes = [
            models.Index(fields=["customer", "changed_at"], name="lifecycle_customer_time"),
        ]
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage} → {self.to_stage}"
