"""Reading users, teams and roles. Any signed-in user sees the directory (to pick an owner or
share a record); it holds no customer data."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Role, SavedView, Team, User


def user_list(*, user: User) -> QuerySet[User]:
    return User.objects.select_related("team", "role").order_by("username")


def team_list(*, user: User) -> QuerySet[Team]:
    return Team.objects.order_by("path")


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
