"""The shape of every resource in the API: reads through a selector that takes the acting
user, writes through services. A subclass names its selector and services; nothing here
touches `Model.objects`."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from guanxi.audit.api.serializers import AuditEventSerializer
from guanxi.audit.selectors import record_history

from .permissions import ModulePermission

# What the paginator reads of a view to sort a record's history (KeysetPagination).
_HISTORY_ORDER = SimpleNamespace(ordering=("-id",), filter_backends=())


class ServiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [ModulePermission]
    module: str | None = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    # Subclasses define these.
    def select(self, user):  # pragma: no cover - abstract
        raise NotImplementedError

    def create_record(self, *, actor, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_record(self, *, actor, instance, data, version):  # pragma: no cover
        raise NotImplementedError

    def delete_record(self, *, actor, instance):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_queryset(self):
        return self.select(self.request.user)

    def output(self, instance, status_code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        serializer = self.get_serializer(instance)
        return Response(serializer.data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        instance = self.create_record(actor=request.user, data=data)
        return self.output(instance, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" not in data:
            raise ValidationError({"version": [_("Send the version of the record you edited.")]})
        version = data.pop("version")
        instance = self.update_record(
            actor=request.user, instance=instance, data=data, version=version
        )
        return self.output(instance)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.delete_record(actor=request.user, instance=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, **kwargs):
        """The record's change history from the audit log, newest first."""
        events = record_history(user=request.user, instance=self.get_object())
        # Audit events newest first, whatever the resource's own list is sorted by (a stage's
        # position, a plan's grade are no fields of an event).
        page = self.paginator.paginate_queryset(events, request, view=_HISTORY_ORDER)
        serializer = AuditEventSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)
