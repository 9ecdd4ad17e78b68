from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(value) -> str:
    """A time span as people say it: "3 d 4 h", "2 h 5 min", "40 s"."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, dt.timedelta) else value)
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


@register.filter
def money_map(value) -> str:
    """{"CNY": Decimal("1200.00")} as "CNY 1,200.00" (one per currency)."""
    if not value:
        return "0"
    return " · ".join(f"{cur} {amount:,.2f}" for cur, amount in sorted(value.items()))
