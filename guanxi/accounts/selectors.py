"""Reading users, teams and roles. Any signed-in user sees the directory (to pick an owner or
share a record); it holds no customer data."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Role, Team, User


def user_list(*, user: User) -> QuerySet[User]:
    return User.objects.select_related("team", "role").order_by("username")


def team_list(*, user: User) -> QuerySet[Team]:
    return Team.objects.order_by("path")


def role_list(*, user: User) -> QuerySet[Role]:
    return Role.objects.all()
