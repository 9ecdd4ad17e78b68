"""Reading interactions: seen exactly when their customer is."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.customers.policies import visible_q

from .models import Interaction


def interaction_list(*, user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(
        visible_q(user, "customer__"), customer__deleted_at__isnull=True
    )
