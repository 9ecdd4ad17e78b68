"""Reading needs: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.models import Customer, Grade, ValueTier

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


def _window(qs: QuerySet[Need], date_from: dt.date | None, date_to: dt.date | None):
    zone = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        qs = qs.filter(created_at__lt=end)
    return qs


def analysis(
    *,
    user: User,
    segment: str = "grade",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """Needs counted by category, by a customer segment and by month (each split by category),
    and the most frequent needs, over the needs the user may see. Four grouped queries."""
    if segment not in SEGMENTS:
        segment = "grade"
    qs = _window(need_list(user=user), date_from, date_to)
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

    zone = timezone.get_current_timezone()
    months: dict[dt.date, dict[str, int]] = {}
    for month, category, n in (
        qs.annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values_list("month", "category")
        .annotate(n=Count("id"))
        .order_by("month")
    ):
        day = month.date() if isinstance(month, dt.datetime) else month
        months.setdefault(day, {})[category] = n
    month_rows = [
        {
            "month": m.strftime("%Y-%m"),
            "counts": [c.get(code, 0) for code in codes],
            "total": sum(c.values()),
        }
        for m, c in sorted(months.items())
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
    }
