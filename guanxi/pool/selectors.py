"""Reading the public pool for a user: the pool's policy is the gate (see policies.py)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr

from guanxi.accounts.models import User
from guanxi.customers import normalize
from guanxi.customers.keys import CONTACTS_MARK
from guanxi.customers.models import ContactPoint, Customer
from guanxi.customers.selectors import _customer_pk, _text_search_ids, customer_get

from .models import PoolEvent
from .policies import pool_visible_q

MAX_SEARCH_LENGTH = 100


def pool_list(*, user: User) -> QuerySet[Customer]:
    """The customers in the user's pool (no owner, their team's or nobody's)."""
    return Customer.objects.filter(pool_visible_q(user))


def pool_get(*, user: User, pk: int | str) -> Customer:
    """One customer of the user's pool; Customer.DoesNotExist otherwise (404)."""
    return pool_list(user=user).get(pk=_customer_pk(pk))


def with_contact_hints(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """The primary contact point of each row, fetched in one query for the page (to be shown
    masked)."""
    points = ContactPoint.objects.order_by("-is_primary", "id")
    return qs.select_related("team").prefetch_related(
        Prefetch("contact_points", queryset=points, to_attr="pool_points")
    )


def search(qs: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Names only (name, short name, aliases, pinyin): the pool never matches contact details,
    which would tell who is behind a phone number."""
    query = normalize.clean_text(query or "")[:MAX_SEARCH_LENGTH]
    if not query:
        return qs
    key = normalize.text_key(query)
    if not key:
        return qs.none()
    if len(key) >= 3:
        names = Substr("search_text", 1, StrIndex("search_text", Value(CONTACTS_MARK)))
        return (
            qs.filter(id__in=_text_search_ids(key))
            .annotate(_names=names)
            .filter(_names__contains=key)
        )
    return qs.filter(
        Q(name_key__startswith=key)
        | Q(pinyin_initials__startswith=key)
        | Q(pinyin__startswith=key)
        | Q(display_name__startswith=query)
    )


def history_customer(*, user: User, pk: int | str) -> Customer:
    """A customer whose pool history the user may read: in their pool, or one they may see."""
    try:
        return pool_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        return customer_get(user=user, pk=pk)


def customer_history(*, customer: Customer, limit: int | None = None) -> QuerySet[PoolEvent]:
    """Claims and returns of a customer already read through a selector, newest first."""
    qs = PoolEvent.objects.filter(customer=customer).select_related("user", "actor")
    return qs[:limit] if limit else qs


def held_count(*, user: User) -> int:
    """How many live customers the user owns (the number the claim cap is about)."""
    return Customer.objects.filter(owner_id=user.pk, deleted_at__isnull=True).count()
