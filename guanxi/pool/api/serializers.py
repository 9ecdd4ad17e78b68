from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.masking import mask
from guanxi.customers.models import Customer
from guanxi.pool.models import PoolEvent


class PoolCustomerSerializer(serializers.ModelSerializer):
    """A customer as the pool shows it: names, region, industry, last activity; the primary
    contact point masked."""

    # A plain string in the schema: the customers resource already names this choice set.
    kind = serializers.CharField(read_only=True, help_text="person or organisation")
    grade = serializers.CharField(read_only=True, help_text="vip, important or normal")
    team_name = serializers.SerializerMethodField()
    contact_hint = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "display_name",
            "short_name",
            "grade",
            "industry",
            "region",
            "team",
            "team_name",
            "last_interaction_at",
            "created_at",
            "contact_hint",
        ]
        read_only_fields = fields

    def get_team_name(self, obj: Customer) -> str:
        return obj.team.name if obj.team_id else ""

    def get_contact_hint(self, obj: Customer) -> str:
        points = getattr(obj, "pool_points", None)
        if points is None:
            points = list(obj.contact_points.order_by("-is_primary", "id")[:1])
        return mask(points[0].kind, points[0].value) if points else ""


class ClaimSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class ReturnSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=False)
    version = VersionField()


class PoolEventSerializer(serializers.ModelSerializer):
    # A plain string in the schema: "kind" names other choice sets elsewhere in the API.
    kind = serializers.CharField(read_only=True, help_text="claim, return, auto_return or warning")
    user_name = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = PoolEvent
        fields = ["id", "kind", "user", "user_name", "actor", "actor_name", "reason", "created_at"]
        read_only_fields = fields

    def get_user_name(self, obj: PoolEvent) -> str:
        return str(obj.user) if obj.user_id else ""

    def get_actor_name(self, obj: PoolEvent) -> str:
        return str(obj.actor) if obj.actor_id else ""
