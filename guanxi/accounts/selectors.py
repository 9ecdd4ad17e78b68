"""Reading users, teams and roles. Any signed-in user sees the directory (to pick an owner or
share a record); it holds no customer data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from .models import Role, SavedView, Team, User


def user_list(*, user: User) -> QuerySet[User]:
    return User.objects.select_related("team", "role").order_by("username")


def team_list(*, user: User) -> QuerySet[Team]:
    return Team.objects.order_by("path")


def team_and_below_ids(team: Any) -> list[int]:
    """The ids of `team` (a Team or its id) and of every team below it, at any depth.

    This is what "of a team" means wherever records are filtered or counted by team: a parent
    team's figures include its sub-teams'. It only names teams; what the user may see is still
    decided by the selectors it narrows. One query over the teams' parent links (a small
    table); a loop in the links (which services.save_team refuses) cannot make it run forever.
    [] for no team or an unknown one. Remembered on a Team instance."""
    if isinstance(team, Team):
        cached = getattr(team, "_team_and_below_ids", None)
        if cached is not None:
            return list(cached)
        pk = team.pk
    else:
        pk = team
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return []
    children: dict[int | None, list[int]] = defaultdict(list)
    known = set()
    for team_id, parent_id in Team.objects.order_by().values_list("id", "parent_id"):
        children[parent_id].append(team_id)
        known.add(team_id)
    if pk not in known:
        return []
    ids, seen = [pk], {pk}
    for current in ids:  # breadth first; `ids` grows as the loop goes
        for child in children.get(current, ()):
            if child not in seen:
                seen.add(child)
                ids.append(child)
    if isinstance(team, Team):
        team._team_and_below_ids = tuple(ids)
    return ids


def lockout_message() -> str:
    """What a locked-out log-in is told (the web page and the API's token endpoint)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return ngettext(
        "Too many wrong passwords for this user. Logging in from this address is blocked for "
        "%(minutes)d minute; an administrator can unlock the user sooner.",
        "Too many wrong passwords for this user. Logging in from this address is blocked for "
        "%(minutes)d minutes; an administrator can unlock the user sooner.",
        minutes,
    ) % {"minutes": minutes}


def locked_out_usernames(*, user: User, usernames: Iterable[str]) -> set[str]:
    """Which of `usernames` are locked out now from at least one address (django-axes' failed
    attempts within the cool-off time, at or over the limit). For the administration pages."""
    names = list(usernames)
    if not names:
        return set()
    return set(
        AccessAttempt.objects.filter(
            username__in=names,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        ).values_list("username", flat=True)
    )


def role_list(*, user: User) -> QuerySet[Role]:
    return Role.objects.all()


def saved_view_list(*, user: User, list_name: str) -> QuerySet[SavedView]:
    """The user's own saved views of one list: nobody else's."""
    return SavedView.objects.filter(user_id=user.pk, list_name=list_name).order_by("name", "id")


def saved_view_get(*, user: User, pk: int | str) -> SavedView:
    """One of the user's own saved views; SavedView.DoesNotExist (a 404) for anyone else's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise SavedView.DoesNotExist from None
    return SavedView.objects.get(pk=pk, user_id=user.pk)
