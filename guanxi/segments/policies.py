"""Who may see and change which segments."""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.policies import has_perm, is_admin

from .models import Segment, Visibility


def visible_segments_q(user) -> Q:
    """Segments a user may use: ready-made ones, their own, their team's and everyone's."""
    if not user.is_authenticated or not has_perm(user, "segments", "view"):
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    q = Q(builtin=True) | Q(owner_id=user.pk) | Q(visibility=Visibility.EVERYONE)
    if user.team_id:
        q |= Q(visibility=Visibility.TEAM, team_id=user.team_id)
    return q


def may_change(user, segment: Segment) -> bool:
    if not has_perm(user, "segments", "change"):
        return False
    if is_admin(user):
        return True
    return not segment.builtin and segment.owner_id == user.pk


def may_delete(user, segment: Segment) -> bool:
    return has_perm(user, "segments", "delete") and may_change(user, segment)
