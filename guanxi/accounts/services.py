"""Writes to users and teams: only administrators create and change them."""

from __future__ import annotations

import zoneinfo
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version

from . import selectors
from .models import ACTIONS, MODULES, Role, SavedView, Team, User
from .policies import require_admin

_AVAILABLE_TIME_ZONES = frozenset(zoneinfo.available_timezones())

TEAM_FIELDS = ("name", "parent")
USER_FIELDS = (
    "username",
    "display_name",
    "email",
    "team",
    "role",
    "is_active",
    "language",
    "time_zone",
)


def _team_path(team: Team) -> str:
    parent_path = team.parent.path if team.parent_id else "/"
    return f"{parent_path}{team.pk}/"


TEAM_PATH_MAX = Team._meta.get_field("path").max_length


@transaction.atomic
def save_team(
    *, actor: User, team: Team | None, data: dict[str, Any], version: int | None = None
) -> Team:
    require_admin(actor)
    unknown = set(data) - set(TEAM_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    creating = team is None
    if creating:
        team = Team()
        before: dict[str, Any] = {}
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
        check_version(team, version)
        before = audit.snapshot(team, TEAM_FIELDS)
    old_path = team.path
    for field, value in data.items():
        setattr(team, field, value)
    team.name = " ".join((team.name or "").split())
    if team.parent_id and team.pk and (team.parent.path or "").startswith(team.path):
        raise ValidationError({"parent": _("A team cannot be placed below itself.")})
    team.full_clean(exclude=["version", "path"])
    if not creating:
        team.version = F("version") + 1
    team.save()
    team.refresh_from_db()
    new_path = _team_path(team)
    if new_path != old_path:
        deepest = 0  # the longest path below the team, after its own part
        if not creating:
            below = Team.objects.filter(path__startswith=old_path).values_list("path", flat=True)
            deepest = max((len(p) - len(old_path) for p in below), default=0)
        if len(new_path) + deepest > TEAM_PATH_MAX:
            # Roll back the save above (this function's transaction): no half-moved tree.
            raise ValidationError({"parent": _("Teams cannot be nested this deep.")})
        Team.objects.filter(pk=team.pk).update(path=new_path)
        if not creating:
            # Move the teams below along with it.
            for child in Team.objects.filter(path__startswith=old_path).exclude(pk=team.pk):
                Team.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path) :])
        team.path = new_path
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=team,
        changes=audit.diff(before, audit.snapshot(team, TEAM_FIELDS)),
    )
    return team


@transaction.atomic
def delete_team(*, actor: User, team: Team) -> None:
    require_admin(actor)
    if team.children.exists() or team.members.exists():
        raise ValidationError(_("Move the members and the teams below this team first."))
    if team.customers.exists():  # those in the recycle bin too: they may be restored
        # They would be left with no team, out of sight of the managers of their team.
        raise ValidationError(_("Move this team's customers to another team first."))
    audit.record(
        actor=actor, action=AuditAction.DELETE, instance=team, changes={"name": [team.name, None]}
    )
    team.delete()


@transaction.atomic
def save_user(
    *,
    actor: User,
    user: User | None,
    data: dict[str, Any],
    password: str | None = None,
    version: int | None = None,
) -> User:
    require_admin(actor)
    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    creating = user is None
    if creating:
        user = User()
        before: dict[str, Any] = {}
        if not password:
            raise ValidationError({"password": _("This field is required.")})
    else:
        user = User.objects.select_for_update().get(pk=user.pk)
        check_version(user, version)
        before = audit.snapshot(user, USER_FIELDS)
        if user.pk == actor.pk and data.get("is_active") is False:
            raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    was_admin = not creating and user.pk == actor.pk and bool(user.role and user.role.is_admin)
    for field, value in data.items():
        setattr(user, field, value)
    if was_admin and not user.is_superuser and not (user.role and user.role.is_admin):
        # As deactivating oneself: the Administration menu, and the way back, would go at once.
        raise ValidationError({"role": _("You cannot take away your own administrator role.")})
    if user.role is None and creating:
        user.role = Role.objects.filter(code="read-only").first()
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    if (
        User.objects.filter(username__iexact=user.username or "").exclude(pk=user.pk).exists()
    ):  # "Rep_A" beside "rep_a": two accounts no one can tell apart
        raise ValidationError({"username": _("A user with that username already exists.")})
    user.full_clean(exclude=["version", "password", "last_login", "date_joined"])
    if not creating:
        user.version = F("version") + 1
    user.save()
    user.refresh_from_db()
    changes = audit.diff(before, audit.snapshot(user, USER_FIELDS))
    if password and not creating:
        changes["password"] = ["***", "***"]
        # A new password ends a lock-out earned with the old one.
        AccessAttempt.objects.filter(username=user.username).delete()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=user,
        changes=changes,
    )
    return user


@transaction.atomic
def unlock_user(*, actor: User, user: User) -> int:
    """Forget the user's failed log-in attempts (django-axes), from every address, so that a
    locked-out user can log in at once. Administrators only; audited when there was a lock.
    Returns the number of attempt records removed."""
    require_admin(actor)
    was_locked = bool(selectors.locked_out_usernames(user=actor, usernames=[user.username]))
    removed, _by_model = AccessAttempt.objects.filter(username=user.username).delete()
    if was_locked:
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            changes={"locked_out": [True, False]},
        )
    return removed


def _clean_preferences(language: str | None, time_zone: str | None) -> dict[str, str]:
    """Field -> message for a language or time zone that the workspace does not offer."""
    errors: dict[str, str] = {}
    if language is not None and language != "" and language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose one of the offered languages.")
    if time_zone is not None and time_zone not in available_time_zones():
        errors["time_zone"] = _("Choose a time zone from the list, such as Asia/Shanghai.")
    return errors


def available_time_zones() -> frozenset[str]:
    """The IANA time zone names that the system knows (zoneinfo)."""
    return _AVAILABLE_TIME_ZONES


@transaction.atomic
def set_preferences(
    *, actor: User, language: str | None = None, time_zone: str | None = None
) -> User:
    """A user's own language ("" follows the browser) and time zone; None leaves one unchanged."""
    errors = _clean_preferences(language, time_zone)
    if errors:
        raise ValidationError(errors)
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = audit.snapshot(user, ("language", "time_zone"))
    if language is not None:
        user.language = language
    if time_zone is not None:
        user.time_zone = time_zone
    user.full_clean(exclude=["version", "password", "last_login", "date_joined"])
    user.save(update_fields=["language", "time_zone"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=user,
        changes=audit.diff(before, audit.snapshot(user, ("language", "time_zone"))),
    )
    actor.language, actor.time_zone = user.language, user.time_zone
    return user


ROLE_FIELDS = ("name", "data_scope", "can_view_contact_details", "permissions")


def _clean_permissions(value: Any) -> dict[str, list[str]]:
    """{module: [action, ...]} with known modules and actions only, in their canonical order."""
    if not isinstance(value, dict):
        raise ValidationError({"permissions": _("Enter the actions allowed per module.")})
    errors: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for module, actions in value.items():
        if module not in MODULES:
            errors[f"permissions.{module}"] = _("There is no such module.")
            continue
        if not isinstance(actions, (list, tuple)) or not all(isinstance(a, str) for a in actions):
            errors[f"permissions.{module}"] = _("Enter a list of actions.")
            continue
        unknown = sorted(set(actions) - set(ACTIONS))
        if unknown:
            errors[f"permissions.{module}"] = _("Unknown action: %(actions)s.") % {
                "actions": ", ".join(unknown)
            }
            continue
        allowed = [a for a in ACTIONS if a in actions]
        if allowed:
            out[module] = allowed
    if errors:
        raise ValidationError(errors)
    return {m: out[m] for m in MODULES if m in out}


@transaction.atomic
def save_role(*, actor: User, role: Role, data: dict[str, Any], version: int | None) -> Role:
    """Change a role's name, data scope, contact-details flag and per-module permissions.
    Administrators only; takes effect on the role's users' next request."""
    require_admin(actor)
    unknown = set(data) - set(ROLE_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    role = Role.objects.select_for_update().get(pk=role.pk)
    check_version(role, version)
    before = audit.snapshot(role, ROLE_FIELDS)
    if "permissions" in data:
        data = {**data, "permissions": _clean_permissions(data["permissions"])}
    for field, value in data.items():
        setattr(role, field, value)
    role.name = " ".join(str(role.name or "").split())
    role.full_clean(exclude=["version", "code"])
    changes = audit.diff(before, audit.snapshot(role, ROLE_FIELDS))
    if not changes:
        return role
    role.version = F("version") + 1
    role.save()
    role.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=role, changes=changes)
    return role


# --- saved views of lists (each user's own) ---------------------------------------------------

MAX_SAVED_VIEW_COLUMNS = 40


@transaction.atomic
def save_view(
    *,
    actor: User,
    list_name: str,
    name: str,
    query: str = "",
    columns: list[str] | None = None,
) -> SavedView:
    """Save (or overwrite, by name) one of the user's own views of a list."""
    if not actor.is_authenticated:
        raise PermissionDeniedError()
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the view a name.")
    elif len(name) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    query = (query or "").strip().lstrip("?")
    if len(query) > 2000:
        errors["query"] = _("These filters are too long to save.")
    columns = list(columns or [])
    if len(columns) > MAX_SAVED_VIEW_COLUMNS or not all(
        isinstance(c, str) and 0 < len(c) <= 60 for c in columns
    ):
        errors["columns"] = _("Choose the columns from the list.")
    if errors:
        raise ValidationError(errors)
    view, created = SavedView.objects.update_or_create(
        user=actor,
        list_name=list_name,
        name=name,
        defaults={"query": query, "columns": columns},
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=view,
        changes={"name": [None, name], "query": [None, query], "columns": [None, columns]},
    )
    return view


@transaction.atomic
def delete_view(*, actor: User, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise PermissionDeniedError()
    audit.record(
        actor=actor, action=AuditAction.DELETE, instance=view, changes={"name": [view.name, None]}
    )
    view.delete()
