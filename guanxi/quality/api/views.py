"""The data quality settings (naming rules, uniqueness, cycles) in the API: administrators only.
An adapter over guanxi.quality.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.quality import services
from guanxi.quality.policies import may_configure

from .serializers import NamingRulesSerializer


class NamingRulesView(APIView):
    """GET the rules; PATCH them with the `version` you read (a stale one answers 409)."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not may_configure(request.user):
            raise PermissionDenied()

    @extend_schema(responses=NamingRulesSerializer)
    def get(self, request):
        return Response(NamingRulesSerializer(services.get_settings()).data)

    @extend_schema(request=NamingRulesSerializer, responses=NamingRulesSerializer)
    def patch(self, request):
        serializer = NamingRulesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        row = services.save_settings(actor=request.user, data=data, version=version)
        return Response(NamingRulesSerializer(row).data)
