"""Calendar months as a SQL expression: rows are bucketed by comparing the timestamp with the
month boundaries computed in Python (in the current time zone), so grouping by month needs no
per-row date function (which on SQLite is a Python callback) and uses the same SQL on every
database."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

MAX_MONTHS = 120


def month_starts(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    """First days of the months from date_from's to date_to's, at most MAX_MONTHS (the latest)."""
    months = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-MAX_MONTHS:]


def _aware(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def month_window(date_from: dt.date, date_to: dt.date):
    """(months, start, end): the month starts and the aware bounds of [date_from, date_to]."""
    months = month_starts(date_from, date_to)
    start = max(_aware(date_from), _aware(months[0]))
    end = _aware(date_to + dt.timedelta(days=1))
    return months, start, end


def month_bucket(field: str, months: list[dt.date]) -> Case:
    whens = []
    for index, first in enumerate(months[1:]):
        whens.append(When(**{f"{field}__lt": _aware(first)}, then=Value(index)))
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())
