"""Reads of the reports for a user: the dashboard and recommendations, only over the customers
the user may see (customers.policies.visible_q through the customers and sales selectors)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope
from guanxi.customers.models import Customer
from guanxi.sales.models import NOT_PURCHASES, OrderLine
from guanxi.sales.selectors import order_list, product_list

from . import charts
from .models import ProductAffinity, SummaryRun

log = logging.getLogger(__name__)


def dashboard(*, user: User, filters: charts.Filters) -> dict[str, Any]:
    """Every registered chart the user can have, as plain data (the page and the API)."""
    out = []
    for provider in charts.providers():
        try:
            chart = provider.fn(user, filters)
        except Exception:  # one broken provider (another app's) must not take the page down
            log.exception("chart %s failed", provider.key)
            continue
        if chart is not None:
            out.append(chart.as_dict())
    source = getattr(filters, "_source", None)
    run = source.run if source is not None else None
    return {
        "charts": out,
        "as_of": run.refreshed_at if isinstance(run, SummaryRun) else None,
        "months": charts.months(filters),
    }


@dataclass(frozen=True)
class Recommendation:
    product: Any
    because: Any
    confidence: float
    lift: float
    together: int | None  # counts over the whole base: None for a user who does not see it
    buyers: int | None

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)

    @property
    def explanation(self) -> str:
        return _("%(percent)d%% of customers who bought %(bought)s also bought %(product)s.") % {
            "percent": self.percent,
            "bought": self.because.name,
            "product": self.product.name,
        }


def recommendations(*, user: User, customer: Customer, limit: int = 5) -> list[Recommendation]:
    """Products this customer has not bought that customers who bought the same products also
    bought, best first: one query. `customer` comes from a customer selector for `user` (the
    gate has been passed); a role that may not see orders or products gets none. The share
    of buyers is the recommendation's reason; the counts of customers behind it are counts
    over the whole base, given only to a user who sees every customer."""
    counts = data_scope(user) == DataScope.ALL
    bought = OrderLine.objects.filter(
        order__in=order_list(user=user)
        .filter(customer_id=customer.pk)
        .exclude(status__in=NOT_PURCHASES)
        .values("id")
    )
    products = product_list(user=user)
    qs = (
        ProductAffinity.objects.filter(
            Exists(bought.filter(product_id=OuterRef("product_id"))),
            other__in=products.filter(active=True),
        )
        .exclude(Exists(bought.filter(product_id=OuterRef("other_id"))))
        .select_related("product", "other")
        .order_by("-confidence", "-lift", "-together", "other_id", "product_id")
    )
    out: list[Recommendation] = []
    seen: set[int] = set()
    for pair in qs[: limit * 10]:
        if pair.other_id in seen:
            continue
        seen.add(pair.other_id)
        out.append(
            Recommendation(
                product=pair.other,
                because=pair.product,
                confidence=pair.confidence,
                lift=pair.lift,
                together=pair.together if counts else None,
                buyers=pair.buyers if counts else None,
            )
        )
        if len(out) == limit:
            break
    return out
