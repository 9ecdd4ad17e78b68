"""Shared serializer pieces."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictSerializerMixin:
    """Refuses fields the resource does not have, so that a typo is an error, not a silent
    no-op. Read-only fields sent back by a client are ignored."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a JSON object.")]}, code="invalid"
            )
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {field: [_("There is no such field.")] for field in sorted(unknown)}
            )
        return super().to_internal_value(data)


class VersionField(serializers.IntegerField):
    """The version of the record the client edited; required on every update."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
