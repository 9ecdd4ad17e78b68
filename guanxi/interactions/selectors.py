"""Reading interactions: seen exactly when their customer is."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.policies import visible_q

from .models import Interaction


def interaction_list(*, user: User) -> QuerySet[Interaction]:
    if not has_perm(user, "interactions", "view"):
        return Interaction.objects.none()
    return Interaction.objects.filter(
        visible_q(user, "customer__"), customer__deleted_at__isnull=True
    )


def recent_interactions_by(*, user: User, limit: int = 8) -> QuerySet[Interaction]:
    """The interactions the user recorded, newest first, on customers they still see."""
    return (
        interaction_list(user=user)
        .filter(user_id=user.pk)
        .select_related("customer")
        .order_by("-occurred_at", "-id")[:limit]
    )
