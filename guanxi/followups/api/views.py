from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import filters
from rest_framework.decorators import action

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.followups import selectors, services
from guanxi.followups.models import Priority, TaskKind, TaskStatus

from .serializers import TaskActionSerializer, TaskSerializer


class TaskFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=TaskKind.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")


class TaskViewSet(ServiceViewSet):
    """Follow-up tasks: those the user is assigned, created, or whose customer they may see."""

    module = "tasks"
    module_actions = {"complete": "change", "cancel": "change", "reopen": "change"}
    serializer_class = TaskSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = TaskFilter
    ordering_fields = ["id", "due_at", "created_at"]

    @property
    def ordering(self):
        # Tasks come soonest due first; their history (audit events) newest first.
        return ["-id"] if getattr(self, "action", None) == "history" else ["due_at", "id"]

    def select(self, user):
        return selectors.task_list(user=user).select_related("assignee", "customer")

    def create_record(self, *, actor, data):
        return services.create_task(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_task(actor=actor, task=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_task(actor=actor, task=instance)

    def _status_action(self, request, service):
        instance = self.get_object()
        body = TaskActionSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        version = body.validated_data.get("version")
        return self.output(service(actor=request.user, task=instance, version=version))

    @extend_schema(request=TaskActionSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """Mark the task done; a recurring task gets its next occurrence."""
        return self._status_action(request, services.complete_task)

    @extend_schema(request=TaskActionSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancel an open task."""
        return self._status_action(request, services.cancel_task)

    @extend_schema(request=TaskActionSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        """Open a done or cancelled task again."""
        return self._status_action(request, services.reopen_task)
