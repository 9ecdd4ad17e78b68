from __future__ import annotations

import django_filters
from rest_framework import filters

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.sales import selectors, services
from guanxi.sales.models import OrderStatus

from .serializers import ExchangeRateSerializer, OrderSerializer, ProductSerializer


class ProductViewSet(ServiceViewSet):
    module = "products"
    serializer_class = ProductSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_fields = ["category", "active", "currency"]
    ordering_fields = ["id", "name", "sku", "unit_price"]

    def select(self, user):
        return selectors.product_list(user=user)

    def create_record(self, *, actor, data):
        return services.save_product(actor=actor, product=None, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.save_product(actor=actor, product=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_product(actor=actor, product=instance)


class ExchangeRateViewSet(ServiceViewSet):
    """Exchange rates into the base currency; entering, changing or deleting one values the
    orders in that currency again (and the customers' spend with them)."""

    module = "products"
    serializer_class = ExchangeRateSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_fields = ["currency"]
    ordering_fields = ["id", "currency", "valid_from"]
    ordering = ["currency", "-valid_from"]

    def select(self, user):
        return selectors.exchange_rate_list(user=user)

    def create_record(self, *, actor, data):
        return services.save_exchange_rate(actor=actor, rate=None, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.save_exchange_rate(actor=actor, rate=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_exchange_rate(actor=actor, rate=instance)


class OrderFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    ordered_after = django_filters.IsoDateTimeFilter(field_name="ordered_at", lookup_expr="gte")
    ordered_before = django_filters.IsoDateTimeFilter(field_name="ordered_at", lookup_expr="lt")


class OrderViewSet(ServiceViewSet):
    """Orders of customers the user may see, with their lines."""

    module = "orders"
    serializer_class = OrderSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = OrderFilter
    ordering_fields = ["id", "ordered_at", "total"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.order_list(user=user).prefetch_related("lines__product")

    def create_record(self, *, actor, data):
        return services.create_order(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_order(actor=actor, order=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_order(actor=actor, order=instance)
