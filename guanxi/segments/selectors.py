"""Every read of segments and of their members for a user."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
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


def count(qs: QuerySet[Customer], *, limit: int | None = None) -> Count:
    """A bounded count: exact up to `limit`, otherwise "more than `limit`" — counting stops
    there, so a broad rule over a million customers costs what `limit` rows cost."""
    limit = limit or settings.SEGMENT_COUNT_LIMIT
    n = qs.order_by().values("id")[: limit + 1].count()
    return Count(min(n, limit), n <= limit)
