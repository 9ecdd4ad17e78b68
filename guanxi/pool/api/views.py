from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from guanxi.accounts.api.filters import TeamFilter
from guanxi.core.api.permissions import ModulePermission
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get
from guanxi.pool import selectors, services
from guanxi.pool.policies import may_return

from .serializers import (
    ClaimSerializer,
    PoolCustomerSerializer,
    PoolEventSerializer,
    ReturnSerializer,
)


class PoolFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", max_length=100)
    kind = django_filters.CharFilter(field_name="kind")
    team = TeamFilter(field_name="team_id")

    def search(self, queryset, name, value):
        return selectors.search(queryset, value)


class PoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The public pool (公海): customers without an owner that the user may claim. Contact
    points are masked until claimed."""

    permission_classes = [ModulePermission]
    module = "customers"
    module_actions = {
        "list": "view",
        "retrieve": "view",
        "history": "view",
        "claim": "change",
        "return_customer": "change",
    }
    serializer_class = PoolCustomerSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = PoolFilter
    ordering = ["-id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.with_contact_hints(selectors.pool_list(user=self.request.user))

    def get_object(self):
        try:
            return selectors.pool_get(user=self.request.user, pk=self.kwargs["pk"])
        except Customer.DoesNotExist:
            raise Http404 from None

    @extend_schema(request=ClaimSerializer, responses=PoolCustomerSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def claim(self, request, pk=None):
        """Become the owner of this customer (refused over the cap, when another rep owns the
        same company, or when someone else claimed it first)."""
        ClaimSerializer(data=request.data or {}).is_valid(raise_exception=True)
        customer = services.claim(actor=request.user, customer=self.get_object())
        customer.pool_points = list(customer.contact_points.order_by("-is_primary", "id")[:1])
        return Response(self.get_serializer(customer).data, status=status.HTTP_200_OK)

    @extend_schema(request=ReturnSerializer, responses=PoolCustomerSerializer)
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    def return_customer(self, request, pk=None):
        """Give one's own customer back to the pool, with a reason."""
        try:
            customer = customer_get(user=request.user, pk=pk)
        except Customer.DoesNotExist:
            raise Http404 from None
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not may_return(request.user, customer):
            raise PermissionDenied()
        returned = services.return_to_pool(
            actor=request.user,
            customer=customer,
            reason=body.validated_data["reason"],
            version=body.validated_data.get("version"),
        )
        returned.pool_points = list(returned.contact_points.order_by("-is_primary", "id")[:1])
        return Response(self.get_serializer(returned).data)

    @extend_schema(responses=PoolEventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """Claims and returns of a customer in the pool or visible to the user."""
        try:
            customer = selectors.history_customer(user=request.user, pk=pk)
        except Customer.DoesNotExist:
            raise Http404 from None
        events = selectors.customer_history(customer=customer)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(PoolEventSerializer(page, many=True).data)
