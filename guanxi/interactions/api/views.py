from __future__ import annotations

import django_filters
from rest_framework import filters

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.interactions import selectors, services
from guanxi.interactions.models import Channel, Direction, Purpose

from .serializers import InteractionSerializer


class InteractionFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    purpose = django_filters.MultipleChoiceFilter(choices=Purpose.choices)
    user = django_filters.NumberFilter(field_name="user_id")
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")


class InteractionViewSet(ServiceViewSet):
    """Calls, messages, visits and meetings with customers the user may see."""

    module = "interactions"
    serializer_class = InteractionSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = InteractionFilter
    ordering_fields = ["id", "occurred_at"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.interaction_list(user=user).select_related("user")

    def create_record(self, *, actor, data):
        return services.create_interaction(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_interaction(
            actor=actor, interaction=instance, data=data, version=version
        )

    def delete_record(self, *, actor, instance):
        services.delete_interaction(actor=actor, interaction=instance)
