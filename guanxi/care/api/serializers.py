from __future__ import annotations

from rest_framework import serializers

from guanxi.care.models import CarePlan
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField


class CarePlanSerializer(StrictSerializerMixin, serializers.ModelSerializer):
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
