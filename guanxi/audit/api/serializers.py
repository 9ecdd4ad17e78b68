from __future__ import annotations

from rest_framework import serializers

from guanxi.audit.models import AuditEvent
from guanxi.customers.masking import present_changes


class AuditEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "source",
            "request_id",
            "ip",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj: AuditEvent) -> str:
        return str(obj.actor) if obj.actor_id else ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["changes"] = present_changes(
            self.context["request"].user, instance.object_type, instance.changes
        )
        return data
