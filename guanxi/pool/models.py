"""The public pool (公海): the history of claims and returns of each customer.

A customer is in the pool when it has no owner; this app keeps who claimed it, who returned it
and why, and the warnings sent before an automatic return.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PoolEventKind(models.TextChoices):
    CLAIM = "claim", _("claimed")
    RETURN = "return", _("returned")
    AUTO_RETURN = "auto_return", _("returned automatically")
    WARNING = "warning", _("warned of the return")


class PoolEvent(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="pool_events",
    )
    kind = models.CharField(_("what"), max_length=20, choices=PoolEventKind.choices)
    # The rep who claimed the customer, or who owned it before the return.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who did it (None: the system's daily job).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("done by", "by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "kind", "created_at"], name="poolevent_customer"),
            models.Index(fields=["created_at", "id"], name="poolevent_time"),
        ]
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"
