from __future__ import annotations

from rest_framework import serializers

from guanxi.care.models import CarePlan
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField


class CarePlanSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    # A plain string in the schema (the tasks resource already names this choice set); the
    # service checks the value.
    task_kind = serializers.CharField(
        required=False,
        max_length=20,
        help_text="follow_up, call, visit, data_check or other",
    )
    version = VersionField()

    class Meta:
        model = CarePlan
        fields = [
            "id",
            "name",
            "grade",
            "cadence_days",
            "task_kind",
            "active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness: the service's message
