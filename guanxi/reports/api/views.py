"""Dashboard data as JSON and a customer's recommendations: adapters over the selectors."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.core.api.permissions import ModulePermission
from guanxi.customers import selectors as customer_selectors

from .. import selectors
from ..forms import DashboardFilterForm


class RecommendationSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    product_name = serializers.CharField(source="product.name")
    because_of = serializers.IntegerField(source="because.pk")
    because_of_name = serializers.CharField(source="because.name")
    confidence = serializers.FloatField()
    lift = serializers.FloatField()
    customers = serializers.IntegerField(
        source="together",
        allow_null=True,
        help_text="customers who bought both, over the whole base: null unless the user sees it",
    )
    explanation = serializers.CharField()


class RecommendationListSerializer(serializers.Serializer):
    results = RecommendationSerializer(many=True)


class DashboardView(APIView):
    """The dashboard's charts over the customers the user may see: for each chart its
    categories, series, links to the customers behind it and its data table."""

    permission_classes = [ModulePermission]
    module = "analytics"

    @extend_schema(
        parameters=[
            OpenApiParameter("team", OpenApiTypes.INT),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        form = DashboardFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        data = selectors.dashboard(user=request.user, filters=form.filters())
        if data["as_of"] is not None:  # in the active time zone, as every date of the API
            data["as_of"] = serializers.DateTimeField().to_representation(data["as_of"])
        return Response(data)


class CustomerRecommendationsView(APIView):
    """Products this customer is likely to want next, each explained in one line."""

    permission_classes = [ModulePermission]
    module = "customers"

    @extend_schema(responses=RecommendationListSerializer)
    def get(self, request, pk: int):
        # A customer the user may not see: DoesNotExist, a 404 by the API's exception handler.
        customer = customer_selectors.customer_get(user=request.user, pk=pk)
        items = selectors.recommendations(user=request.user, customer=customer)
        return Response({"results": RecommendationSerializer(items, many=True).data})
