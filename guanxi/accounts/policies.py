"""Who may do what, written once. Every other module asks here."""

from __future__ import annotations

from guanxi.core.errors import PermissionDeniedError

from .models import ACTIONS, MODULES, DataScope, User
from .selectors import team_and_below_ids

# What each built-in role may do; installed by a data migration and editable by an admin.
ALL = list(ACTIONS)
DEFAULT_ROLES: dict[str, dict] = {
    "admin": {
        "name": "Administrator",
        "is_admin": True,
        "data_scope": DataScope.ALL,
        "can_view_contact_details": True,
        "permissions": {m: ALL for m in MODULES},
    },
    "manager": {
        "name": "Manager",
        "data_scope": DataScope.TEAM,
        "can_view_contact_details": True,
        "permissions": {
            "customers": ALL,
            "contacts": ALL,
            "interactions": ALL,
            "orders": ALL,
            "products": ["view"],
            "users": ["view"],
            "teams": ["view"],
            "tasks": ALL,
            "opportunities": ALL,
            "tickets": ALL,
            "needs": ALL,
            "surveys": ALL,
            "articles": ALL,
            "analytics": ["view", "export"],
            "segments": ALL,
        },
    },
    "sales": {
        "name": "Sales",
        "data_scope": DataScope.OWN,
        "can_view_contact_details": True,
        "permissions": {
            "customers": ["view", "create", "change", "delete"],
            "contacts": ["view", "create", "change", "delete"],
            "interactions": ["view", "create", "change", "delete"],
            "orders": ["view", "create", "change"],
            "products": ["view"],
            "users": ["view"],
            "teams": ["view"],
            "tasks": ["view", "create", "change", "delete"],
            "opportunities": ["view", "create", "change", "delete"],
            "tickets": ["view", "create", "change"],
            "needs": ["view", "create", "change"],
            "surveys": ["view", "create"],
            "articles": ["view"],
            "analytics": ["view"],
            "segments": ["view", "create", "change"],
        },
    },
    "service": {
        "name": "Service",
        "data_scope": DataScope.ALL,
        "can_view_contact_details": True,
        "permissions": {
            "customers": ["view", "change"],
            "contacts": ["view", "create", "change"],
            "interactions": ["view", "create", "change"],
            "orders": ["view"],
            "products": ["view"],
            "users": ["view"],
            "teams": ["view"],
            "tasks": ["view", "create", "change"],
            "opportunities": ["view"],
            "tickets": ["view", "create", "change", "export"],
            "needs": ["view", "create", "change"],
            "surveys": ["view", "create", "change", "export"],
            "articles": ["view", "create", "change", "delete"],
            "analytics": ["view"],
            "segments": ["view"],
        },
    },
    "analyst": {
        "name": "Analyst",
        "data_scope": DataScope.ALL,
        "can_view_contact_details": False,
        "permissions": {
            "customers": ["view", "export"],
            "contacts": ["view"],
            "interactions": ["view"],
            "orders": ["view", "export"],
            "products": ["view"],
            "users": ["view"],
            "teams": ["view"],
            "tasks": ["view", "create", "change"],
            "opportunities": ["view", "export"],
            "tickets": ["view", "export"],
            "needs": ["view", "export"],
            "surveys": ["view", "export"],
            "articles": ["view"],
            "analytics": ["view", "export"],
            "segments": ["view", "create", "change", "delete", "export"],
        },
    },
    "read-only": {
        "name": "Read-only",
        "data_scope": DataScope.TEAM,
        "can_view_contact_details": False,
        "permissions": {m: ["view"] for m in MODULES} | {"tasks": ["view", "create", "change"]},
    },
}


def is_admin(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(user.role and user.role.is_admin)


def has_perm(user: User, module: str, action: str) -> bool:
    """Whether the user's role grants `action` on `module` (records still pass the scope gate)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user):
        return True
    if user.role is None:
        return False
    return action in (user.role.permissions or {}).get(module, [])


def data_scope(user: User) -> str:
    if is_admin(user):
        return DataScope.ALL
    if user.role is None:
        return DataScope.OWN
    return user.role.data_scope


def sees_contact_details(user: User) -> bool:
    """Whether phone numbers, e-mail addresses and the like are shown in full to this user."""
    if is_admin(user):
        return True
    return bool(user.role and user.role.can_view_contact_details)


def managed_team_ids(user: User) -> list[int]:
    """The user's team and every team below it, for a role whose scope is the team."""
    if user.team_id is None:
        return []
    if getattr(user, "_managed_team_ids", None) is None:
        user._managed_team_ids = team_and_below_ids(user.team_id)
    return user._managed_team_ids


def require_admin(user: User) -> None:
    """For writes to the administered settings (users, teams, roles, tags, custom fields)."""
    if not is_admin(user):
        raise PermissionDeniedError()
