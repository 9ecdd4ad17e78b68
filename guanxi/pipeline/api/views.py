from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.accounts.api.filters import TeamFilter
from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.pipeline import selectors, services
from guanxi.pipeline.models import Outcome

from .serializers import (
    LoseSerializer,
    MoveSerializer,
    OpportunitySerializer,
    PipelineSerializer,
    StageChangeSerializer,
    StageSerializer,
    WinSerializer,
)


class PipelineViewSet(ServiceViewSet):
    """Pipelines with their stages in order. Everyone with the opportunities module reads them;
    only administrators write (POST/PATCH/DELETE here, and stages under /stages/)."""

    module = "opportunities"
    module_actions = {"stages": "view", "stage": "view"}
    serializer_class = PipelineSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "position"]
    ordering = ["position", "id"]

    def select(self, user):
        return selectors.pipeline_list(user=user, active_only=False).prefetch_related("stages")

    def create_record(self, *, actor, data):
        return services.create_pipeline(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_pipeline(actor=actor, pipeline=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_pipeline(actor=actor, pipeline=instance)

    @extend_schema(request=StageSerializer, responses=StageSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def stages(self, request, pk=None):
        """Add a stage (administrators)."""
        pipeline = self.get_object()
        body = StageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        stage = services.create_stage(actor=request.user, pipeline=pipeline, data=data)
        return Response(StageSerializer(stage).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StageSerializer, responses=StageSerializer)
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"stages/(?P<stage_id>[0-9]{1,18})",
        filter_backends=[],
    )
    def stage(self, request, pk=None, stage_id=None):
        """Change or delete a stage (administrators); a change names the stage's version."""
        pipeline = self.get_object()
        stage = get_object_or_404(pipeline.stages, pk=stage_id)
        if request.method == "DELETE":
            services.delete_stage(actor=request.user, stage=stage)
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = StageSerializer(stage, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version", None)
        stage = services.update_stage(actor=request.user, stage=stage, data=data, version=version)
        return Response(StageSerializer(stage).data)


class OpportunityFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Outcome.choices)
    pipeline = django_filters.NumberFilter(field_name="pipeline_id")
    stage = django_filters.NumberFilter(field_name="stage_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    team = TeamFilter(field_name="owner__team_id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    close_after = django_filters.DateFilter(field_name="expected_close", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="expected_close", lookup_expr="lte")


class OpportunityViewSet(ServiceViewSet):
    """Opportunities whose customer the user may see, and their own."""

    module = "opportunities"
    module_actions = {
        "move": "change",
        "win": "change",
        "lose": "change",
        "create_order": "change",
        "stage_history": "view",
    }
    serializer_class = OpportunitySerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = OpportunityFilter
    ordering_fields = ["id", "amount", "expected_close", "created_at"]

    @property
    def ordering(self):
        return ["-id"]

    def select(self, user):
        return (
            selectors.opportunity_list(user=user)
            .select_related("customer", "owner", "stage")
            .prefetch_related("lines__product")
        )

    def create_record(self, *, actor, data):
        return services.create_opportunity(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_opportunity(
            actor=actor, opportunity=instance, data=data, version=version
        )

    def delete_record(self, *, actor, instance):
        services.delete_opportunity(actor=actor, opportunity=instance)

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def move(self, request, pk=None):
        """Move to another stage of the pipeline (the lost stage needs `lost_reason`)."""
        instance = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.move_opportunity(
            actor=request.user,
            opportunity=instance,
            stage=data["stage"],
            version=data["version"],
            lost_reason=data.get("lost_reason"),
            lost_note=data.get("lost_note", ""),
        )
        return self.output(result)

    @extend_schema(request=WinSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def win(self, request, pk=None):
        instance = self.get_object()
        body = WinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.win_opportunity(
            actor=request.user, opportunity=instance, version=body.validated_data["version"]
        )
        return self.output(result)

    @extend_schema(request=LoseSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def lose(self, request, pk=None):
        """Mark lost: `lost_reason` (an id of the configured list) is required."""
        instance = self.get_object()
        body = LoseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.lose_opportunity(
            actor=request.user,
            opportunity=instance,
            version=data["version"],
            lost_reason=data["lost_reason"],
            lost_note=data.get("lost_note", ""),
        )
        return self.output(result)

    @extend_schema(request=None, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], url_path="create-order", filter_backends=[])
    def create_order(self, request, pk=None):
        """Create the order of a won opportunity (once)."""
        instance = self.get_object()
        services.create_order(actor=request.user, opportunity=instance)
        return self.output(instance, status.HTTP_201_CREATED)

    @extend_schema(responses=StageChangeSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="stage-history",
        filter_backends=[],
        pagination_class=None,
    )
    def stage_history(self, request, pk=None):
        """Each stay in a stage with its entry and exit times and its length in seconds."""
        rows = selectors.stage_history(opportunity=self.get_object())
        return Response(StageChangeSerializer(rows, many=True).data)
