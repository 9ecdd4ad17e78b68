"""Summary tables for the dashboard (refreshed by a job) and product co-occurrence scores for
recommendations (computed by a job). Both are derived data: a rebuild from the facts replaces
them whole."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SummaryCell(models.Model):
    """One figure of a dashboard chart for all customers of a team (team_id NULL: customers of
    no team), written by the summary job: `chart` names the chart, `key` the bar or month,
    `key2` the series or the cohort offset. The dashboard of a user who sees every customer
    adds these up instead of reading a million customers and ten million orders."""

    chart = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    key2 = models.CharField(max_length=40, blank=True)
    team_id = models.IntegerField(null=True)
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["chart", "team_id"], name="summary_cell_chart_team")]

    def __str__(self) -> str:
        return f"{self.chart} {self.key} {self.key2}: {self.value}"


class SummaryRun(models.Model):
    """When a summary (kind "dashboard" or "affinity") was last rebuilt, and from how much."""

    kind = models.CharField(max_length=20, unique=True)
    refreshed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} at {self.refreshed_at}"


class ProductAffinity(models.Model):
    """Of the customers who bought `product`, how many also bought `other`: a directed
    co-occurrence score over customers' purchase baskets, with its support."""

    product = models.ForeignKey(
        "sales.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    other = models.ForeignKey(
        "sales.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    together = models.PositiveIntegerField(_("customers who bought both"))
    buyers = models.PositiveIntegerField(_("customers who bought the product"))
    confidence = models.FloatField(_("share who also bought"))
    lift = models.FloatField(_("lift"))
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="affinity_unique_pair")
        ]
        indexes = [models.Index(fields=["product", "-confidence"], name="affinity_product_score")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.other_id}: {self.confidence:.2f}"
