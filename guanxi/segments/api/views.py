"""Segments in the API: CRUD through services, `members` (keyset pages) and `count`."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.segments import selectors, services

from .serializers import (
    RulesSerializer,
    SegmentCountSerializer,
    SegmentMemberSerializer,
    SegmentSerializer,
)


def _count_response(result) -> Response:
    return Response(
        {
            "count": result.value,
            "exact": result.exact,
            "limit": settings.SEGMENT_COUNT_LIMIT,
            "timed_out": result.timed_out,
        }
    )


class SegmentViewSet(ServiceViewSet):
    """Saved segments the user may use. Members are always among the customers the user may
    see."""

    module = "segments"
    serializer_class = SegmentSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["-id"]
    module_actions = {"members": "view", "count": "view", "preview": "view", "copy": "create"}

    def select(self, user):
        return selectors.segment_list(user=user)

    def create_record(self, *, actor, data):
        return services.create_segment(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_segment(actor=actor, segment=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_segment(actor=actor, segment=instance)

    @extend_schema(responses=SegmentMemberSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def members(self, request, pk=None):
        """The segment's members that the user may see, newest first, a keyset page at a time."""
        qs = selectors.members(user=request.user, segment=self.get_object())
        page = self.paginate_queryset(qs)
        data = SegmentMemberSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)

    @extend_schema(responses=SegmentCountSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def count(self, request, pk=None):
        """How many members the user may see: exact up to SEGMENT_COUNT_LIMIT, otherwise
        `exact` is false and `count` is the limit ("more than"). A count that would take longer
        than SEGMENT_COUNT_BUDGET_MS gives up: `timed_out` is true."""
        qs = selectors.members(user=request.user, segment=self.get_object())
        result = selectors.count(qs)
        return _count_response(result)

    @extend_schema(request=RulesSerializer, responses=SegmentCountSerializer)
    @action(detail=False, methods=["post"], filter_backends=[])
    def preview(self, request):
        """Count the members of unsaved rules (400 with one message per bad rule)."""
        body = RulesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        qs = selectors.members_of_rules(user=request.user, rules=body.validated_data["rules"])
        result = selectors.count(qs)
        return _count_response(result)

    @extend_schema(request=None, responses=SegmentSerializer)
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        """An editable private copy of this segment."""
        segment = services.copy_segment(actor=request.user, segment=self.get_object())
        return self.output(segment, status.HTTP_201_CREATED)
