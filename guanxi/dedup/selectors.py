"""Reads of duplicate pairs and merges for a user (DESIGN.md: one gate)."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.policies import visible_q

from .models import DuplicatePair, Merge, PairStatus
from .policies import pair_visible_q


def pair_list(
    *, user: User, status: str | None = PairStatus.OPEN, min_score: float | None = None
) -> QuerySet[DuplicatePair]:
    """Pairs the user may see (both customers live and visible), optionally of one status and
    at or above a score."""
    qs = DuplicatePair.objects.filter(pair_visible_q(user))
    if status:
        qs = qs.filter(status=status)
    if min_score is not None:
        qs = qs.filter(score__gte=min_score)
    return qs.select_related("customer_a", "customer_b")


def pair_get(*, user: User, pk: int | str) -> DuplicatePair:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise DuplicatePair.DoesNotExist from None
    if not 0 < value < 2**63:
        raise DuplicatePair.DoesNotExist
    return pair_list(user=user, status=None).get(pk=value)


def merge_list(*, user: User) -> QuerySet[Merge]:
    """Merges whose two customers the user may see (the loser in the recycle bin or back)."""
    if not has_perm(user, "customers", "view"):
        return Merge.objects.none()
    return Merge.objects.filter(visible_q(user, "survivor__"), visible_q(user, "loser__"))


def merge_get(*, user: User, pk: int | str) -> Merge:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Merge.DoesNotExist from None
    if not 0 < value < 2**63:
        raise Merge.DoesNotExist
    return merge_list(user=user).get(pk=value)
