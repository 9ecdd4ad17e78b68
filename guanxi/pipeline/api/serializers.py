from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer
from guanxi.pipeline.models import (
    LostReason,
    Opportunity,
    OpportunityLine,
    Pipeline,
    Stage,
    StageChange,
)
from guanxi.sales.models import Product

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class StageSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = Stage
        fields = ["id", "name", "position", "probability", "outcome", "version"]
        read_only_fields = ["id"]
        extra_kwargs = {"position": {"max_value": 2**31 - 1}}


class PipelineSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = Pipeline
        fields = ["id", "name", "currency", "position", "active", "stages", "version"]
        read_only_fields = ["id", "stages"]
        extra_kwargs = {"name": {"validators": []}, "position": {"max_value": 2**31 - 1}}


class LostReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = LostReason
        fields = ["id", "name"]


class OpportunityLineSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(active=True))
    product_name = serializers.CharField(source="product.name", read_only=True)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), default=Decimal("1")
    )
    unit_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)

    class Meta:
        model = OpportunityLine
        fields = ["id", "product", "product_name", "quantity", "unit_price"]
        read_only_fields = ["id"]


class OpportunitySerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    owner_name = serializers.SerializerMethodField()
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.filter(active=True))
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0"), required=False
    )
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    lines = OpportunityLineSerializer(many=True, required=False)
    version = VersionField()

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "pipeline",
            "stage",
            "stage_name",
            "amount",
            "currency",
            "probability",
            "expected_close",
            "status",
            "lost_reason",
            "lost_note",
            "closed_at",
            "stage_entered_at",
            "order",
            "notes",
            "lines",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "lost_reason",
            "lost_note",
            "closed_at",
            "stage_entered_at",
            "order",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"notes": {"max_length": 20000}, "currency": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["customer"].queryset = customer_list(user=request.user)

    def get_owner_name(self, obj: Opportunity) -> str:
        return str(obj.owner) if obj.owner_id else ""

    def validate(self, attrs):
        if "lines" in attrs:
            attrs["lines"] = [dict(line) for line in attrs["lines"]]
        return attrs


class MoveSerializer(StrictSerializerMixin, serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    version = VersionField(required=True)
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.all(), required=False, allow_null=True
    )
    lost_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class WinSerializer(StrictSerializerMixin, serializers.Serializer):
    version = VersionField(required=True)


class LoseSerializer(StrictSerializerMixin, serializers.Serializer):
    version = VersionField(required=True)
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.filter(active=True), allow_null=True
    )
    lost_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class StageChangeSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)

    class Meta:
        model = StageChange
        fields = ["id", "stage", "stage_name", "entered_at", "left_at", "seconds", "actor"]
