"""A customer's timeline: interactions, orders, changes (from the audit log) and notes merged
into one stream, newest first, read page by page with a cursor.

Each source is read with its own LIMIT (one query each, whatever the page holds) below the
cursor, and the pages are merged in Python. Items are ordered by (time, source rank, id), a total
order, so that paging gives neither gaps nor duplicates even when items share a timestamp.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_LIMIT = 100

# Rank of each source among items of the same instant (part of the cursor).
CHANGE, INTERACTION, NOTE, ORDER = "change", "interaction", "note", "order"
RANKS = {CHANGE: 0, INTERACTION: 1, NOTE: 2, ORDER: 3}

# Creating these records shows as the record itself; the audit event would repeat it.
SHOWN_AS_ITEMS = ("interactions.interaction", "sales.order", "customers.note")


@dataclass(frozen=True)
class Cursor:
    at: dt.datetime
    rank: int
    pk: int

    def encode(self) -> str:
        micros = (self.at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.rank}.{self.pk}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            micros, rank, pk = (int(part) for part in str(text).split("."))
            at = EPOCH + dt.timedelta(microseconds=micros)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({"before": _("This is not a valid position.")}) from None
        if rank not in RANKS.values() or pk < 0:
            raise ValidationError({"before": _("This is not a valid position.")})
        return cls(at, rank, pk)


@dataclass
class TimelineItem:
    kind: str  # "interaction", "order", "change" or "note"
    at: dt.datetime
    obj: Any
    changes: dict[str, Any] = field(default_factory=dict)  # a change: as the user may see it

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, RANKS[self.kind], self.obj.pk)

    @property
    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, RANKS[self.kind], self.obj.pk)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    next_before: str | None  # the cursor of the next (older) page; None at the end


def below(qs: QuerySet, time_field: str, kind: str, cursor: Cursor | None) -> QuerySet:
    """The rows of one source that come after `cursor` in newest-first order."""
    if cursor is None:
        return qs
    rank = RANKS[kind]
    if rank < cursor.rank:
        return qs.filter(**{f"{time_field}__lte": cursor.at})
    if rank == cursor.rank:
        return qs.filter(
            Q(**{f"{time_field}__lt": cursor.at})
            | Q(**{time_field: cursor.at, "pk__lt": cursor.pk})
        )
    return qs.filter(**{f"{time_field}__lt": cursor.at})


def merge(sources: list[list[TimelineItem]], limit: int) -> TimelinePage:
    items = sorted((i for source in sources for i in source), key=lambda i: i.key, reverse=True)
    page = items[:limit]
    more = len(items) > limit
    return TimelinePage(items=page, next_before=page[-1].cursor.encode() if more else None)
