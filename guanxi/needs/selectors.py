"""Reading needs: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.models import Customer, Grade, ValueTier
from guanxi.tickets.periods import month_bucket, month_window

from .models import Need, NeedCategory
from .policies import need_visible_q

SEGMENTS = OrderedDict(
    [
        ("grade", _("customer grade")),
        ("value_tier", _("value tier")),
        ("industry", _("industry")),
        ("region", _("region")),
    ]
)
SEGMENT_LABELS = {"grade": dict(Grade.choices), "value_tier": dict(ValueTier.choices)}
TOP_SEGMENTS = 12


def need_list(*, user: User) -> QuerySet[Need]:
    if not has_perm(user, "needs", "view"):
        return Need.objects.none()
    return Need.objects.filter(need_visible_q(user))


def need_get(*, user: User, pk: Any) -> Need:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Need.DoesNotExist from None
    return need_list(user=user).select_related("customer", "created_by", "ticket").get(pk=pk)


def customer_needs(*, user: User, customer: Customer, limit: int = 5) -> list[Need]:
    return list(need_list(user=user).filter(customer_id=customer.pk)[:limit])


def analysis(
    *,
    user: User,
    segment: str = "grade",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """Needs counted by category, by a customer segment and by month (each split by category),
    and the most frequent needs, over the needs the user may see recorded from `date_from` to
    `date_to` (by default the twelve months up to today). Four grouped queries."""
    if segment not in SEGMENTS:
        segment = "grade"
    date_to = date_to or timezone.localdate()
    if date_from is None:
        date_from = (date_to.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    qs = need_list(user=user)
    if date_from > date_to:  # an empty window
        qs, date_to = qs.none(), date_from
    months, start, end = month_window(date_from, date_to)
    qs = qs.filter(created_at__gte=start, created_at__lt=end)
    categories = list(NeedCategory.choices)
    codes = [c for c, _label in categories]

    by_category = dict(qs.values_list("category").annotate(n=Count("id")).order_by())
    by_category_rows = [
        {"key": c, "label": label, "count": by_category.get(c, 0)} for c, label in categories
    ]

    field = f"customer__{segment}"
    seg_counts: dict[str, dict[str, int]] = {}
    for value, category, n in qs.values_list(field, "category").annotate(n=Count("id")).order_by():
        seg_counts.setdefault(value or "", {})[category] = n
    labels = SEGMENT_LABELS.get(segment, {})
    segment_rows = sorted(
        (
            {
                "key": value,
                "label": str(labels.get(value, value)) if value else str(_("(not set)")),
                "counts": [counts.get(c, 0) for c in codes],
                "total": sum(counts.values()),
            }
            for value, counts in seg_counts.items()
        ),
        key=lambda r: (-r["total"], r["label"]),
    )[:TOP_SEGMENTS]

    per_month: dict[int, dict[str, int]] = {}
    for bucket, category, n in (
        qs.annotate(bucket=month_bucket("created_at", months))
        .values_list("bucket", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_month.setdefault(bucket, {})[category] = n
    month_rows = [
        {
            "month": months[b].strftime("%Y-%m"),
            "counts": [c.get(code, 0) for code in codes],
            "total": sum(c.values()),
        }
        for b, c in sorted(per_month.items())
    ]

    top = list(
        qs.values("title", "category")
        .annotate(n=Count("id"), customers=Count("customer", distinct=True))
        .order_by("-n", "title")[:10]
    )
    names = dict(categories)
    for row in top:
        row["category_label"] = names.get(row["category"], row["category"])

    return {
        "categories": [{"key": c, "label": str(label)} for c, label in categories],
        "by_category": by_category_rows,
        "segment": segment,
        "segment_label": str(SEGMENTS[segment]),
        "by_segment": segment_rows,
        "by_month": month_rows,
        "top": top,
        "total": sum(by_category.values()),
        "date_from": date_from,
        "date_to": date_to,
    }
