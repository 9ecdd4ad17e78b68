from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer

from ..models import Segment, SegmentKind, Visibility


class SegmentSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    # The rules are validated by the service (rules.validate): one message per bad rule.
    rules = serializers.JSONField(required=False)
    kind = serializers.ChoiceField(choices=SegmentKind.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    version = VersionField()

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "rules",
            "visibility",
            "builtin",
            "owner",
            "team",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "builtin", "owner", "team", "created_at", "updated_at"]


class SegmentMemberSerializer(serializers.ModelSerializer):
    """A member in brief: no contact details (nothing to mask); the customer resource has the
    rest. The coded fields are plain strings here: the customer resource documents their
    values (one enum per field in the schema)."""

    kind = serializers.CharField(read_only=True)
    grade = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    lifecycle_stage = serializers.CharField(read_only=True)
    value_tier = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "display_name",
            "grade",
            "status",
            "lifecycle_stage",
            "value_tier",
            "region",
            "owner",
            "team",
            "order_count",
            "total_spent",
            "last_purchase_at",
        ]
        read_only_fields = fields


class SegmentCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    exact = serializers.BooleanField()
    limit = serializers.IntegerField()
    timed_out = serializers.BooleanField()


class RulesSerializer(serializers.Serializer):
    rules = serializers.JSONField()
