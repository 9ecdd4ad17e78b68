"""Who sees and changes surveys, answers and improvement actions, written once.

Survey definitions and improvement actions are not customer data: every role with the `surveys`
module reads them. Answers belong to a customer: they are seen exactly when the customer is
(the customers gate). Administrators see everything.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.customers.policies import visible_q

from .models import ImprovementAction, Survey


def response_visible_q(user: User, prefix: str = "") -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = Q(**{f"{prefix}customer__deleted_at__isnull": True})
    if is_admin(user):
        return live
    return live & visible_q(user, f"{prefix}customer__")


def may_edit_survey(user: User, survey: Survey) -> bool:
    """Roles with `change` edit any survey; a role that may only create edits its own."""
    if has_perm(user, "surveys", "change"):
        return True
    return has_perm(user, "surveys", "create") and survey.created_by_id == user.pk


def may_change_action(user: User, action: ImprovementAction) -> bool:
    if has_perm(user, "surveys", "change"):
        return True
    return has_perm(user, "surveys", "create") and user.pk in (
        action.owner_id,
        action.created_by_id,
    )
