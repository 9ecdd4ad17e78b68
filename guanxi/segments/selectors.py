"""Every read of segments and of their members for a user."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet

from guanxi.accounts.models import User
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Customer

from . import rules as rule_engine
from .models import Segment
from .policies import visible_segments_q


def _pk(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Segment.DoesNotExist from None
    if not 0 < value < 2**63:
        raise Segment.DoesNotExist
    return value


def segment_list(*, user: User) -> QuerySet[Segment]:
    return Segment.objects.filter(visible_segments_q(user)).select_related("owner", "team")


def segment_get(*, user: User, pk) -> Segment:
    """A segment the user may use; Segment.DoesNotExist (a 404) otherwise."""
    return segment_list(user=user).get(pk=_pk(pk))


def members_of_rules(*, user: User, rules: dict) -> QuerySet[Customer]:
    """The live customers the user may see that satisfy `rules` (validated here: a
    ValidationError names each bad rule). The visibility gate is always applied."""
    return customer_selectors.customer_list(user=user).filter(rule_engine.compile_rules(rules))


def members(*, user: User, segment: Segment) -> QuerySet[Customer]:
    return members_of_rules(user=user, rules=segment.rules)


def segment_q(*, user: User, pk) -> Q:
    """A filter for the members of segment `pk` (one the user may use); for the customer list
    and the customers API (`?segment=`). Segment.DoesNotExist when there is no such segment."""
    segment = segment_get(user=user, pk=pk)
    return rule_engine.compile_rules(segment.rules)


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool
    timed_out: bool = False


@contextmanager
def _time_budget(ms: int):
    """Abort the queries run inside after `ms` milliseconds (OperationalError). A budget of
    zero or less is spent before anything runs."""
    if ms <= 0:
        raise OperationalError("the time budget is spent")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + ms / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 2000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    elif connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [int(ms)])
            yield
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        yield


def count(qs: QuerySet[Customer], *, limit: int | None = None, budget_ms: int | None = None):
    """A bounded count: exact up to `limit`, otherwise "more than `limit`" — counting stops
    there, so a broad rule over a million customers costs what `limit` rows cost. A rule that
    matches few customers may still need to read every customer (a condition no index serves):
    after `budget_ms` the count gives up and says so (`timed_out`) rather than keep the page
    waiting."""
    limit = limit or settings.SEGMENT_COUNT_LIMIT
    budget = settings.SEGMENT_COUNT_BUDGET_MS if budget_ms is None else budget_ms
    try:
        with _time_budget(budget):
            n = qs.order_by().values("id")[: limit + 1].count()
    except OperationalError:
        return Count(0, False, True)
    return Count(min(n, limit), n <= limit)


def first_members(qs: QuerySet[Customer], *, n: int = 10, budget_ms: int | None = None) -> list:
    """The newest `n` members, within the same time budget as a count ([] when it runs out)."""
    budget = settings.SEGMENT_COUNT_BUDGET_MS if budget_ms is None else budget_ms
    try:
        with _time_budget(budget):
            return list(qs.order_by("-id")[:n])
    except OperationalError:
        return []
