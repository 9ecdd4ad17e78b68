"""save_role: administrators change what a role may do; the change is validated, versioned and
audited, and it changes what the role's users may do at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.accounts import services
from guanxi.accounts.models import Role
from guanxi.accounts.policies import has_perm, sees_contact_details
from guanxi.audit.models import AuditEvent
from guanxi.core.errors import ConflictError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def sales_role() -> Role:
    return Role.objects.get(code="sales")


def test_admin_changes_permissions_and_a_user_may_do_more(two_teams):
    role = sales_role()
    assert not has_perm(two_teams.rep_a, "products", "create")
    permissions = {**role.permissions, "products": ["create", "view"]}
    saved = services.save_role(
        actor=two_teams.admin, role=role, data={"permissions": permissions}, version=role.version
    )
    assert saved.permissions["products"] == ["view", "create"]  # canonical order
    assert saved.version == role.version + 1
    two_teams.rep_a.refresh_from_db()
    assert has_perm(two_teams.rep_a, "products", "create")
    event = AuditEvent.objects.filter(object_type="accounts.role").latest("id")
    assert event.actor == two_teams.admin and "permissions" in event.changes


def test_contact_details_flag_masks_the_roles_users(two_teams):
    role = sales_role()
    services.save_role(
        actor=two_teams.admin,
        role=role,
        data={"can_view_contact_details": False},
        version=role.version,
    )
    two_teams.rep_a.refresh_from_db()
    assert not sees_contact_details(two_teams.rep_a)


def test_sales_rep_may_not_change_a_role(two_teams):
    role = sales_role()
    with pytest.raises(PermissionDeniedError):
        services.save_role(
            actor=two_teams.rep_a, role=role, data={"data_scope": "all"}, version=role.version
        )
    assert sales_role().data_scope == "own"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"permissions": {"spaceships": ["view"]}}, "permissions.spaceships"),
        ({"permissions": {"orders": ["launch"]}}, "permissions.orders"),
        ({"permissions": {"orders": "view"}}, "permissions.orders"),
        ({"permissions": ["orders"]}, "permissions"),
        ({"data_scope": "galaxy"}, "data_scope"),
        ({"name": "  "}, "name"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(two_teams, data, field):
    role = sales_role()
    with pytest.raises(ValidationError) as exc:
        services.save_role(actor=two_teams.admin, role=role, data=data, version=role.version)
    assert field in exc.value.message_dict
    assert sales_role().version == role.version


def test_stale_version_is_a_conflict(two_teams):
    role = sales_role()
    services.save_role(actor=two_teams.admin, role=role, data={"name": "销售"}, version=1)
    with pytest.raises(ConflictError):
        services.save_role(actor=two_teams.admin, role=role, data={"name": "销售员"}, version=1)
    assert sales_role().name == "销售"
