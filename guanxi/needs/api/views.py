from __future__ import annotations

import django_filters
from rest_framework import filters

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.needs import selectors, services
from guanxi.needs.models import Importance, NeedCategory, NeedSource, NeedStatus

from .serializers import NeedSerializer


class NeedFilter(django_filters.FilterSet):
    category = django_filters.MultipleChoiceFilter(choices=NeedCategory.choices)
    importance = django_filters.MultipleChoiceFilter(choices=Importance.choices)
    status = django_filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    source = django_filters.MultipleChoiceFilter(choices=NeedSource.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    ticket = django_filters.NumberFilter(field_name="ticket_id")


class NeedViewSet(ServiceViewSet):
    """Customer needs (客户需求) of the customers the user may see."""

    module = "needs"
    serializer_class = NeedSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = NeedFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.need_list(user=user)

    def create_record(self, *, actor, data):
        return services.create_need(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_need(actor=actor, need=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_need(actor=actor, need=instance)
