"""Representations of duplicate pairs, merges and the duplicate check."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.dedup import scoring
from guanxi.dedup.models import DuplicatePair, Merge
from guanxi.dedup.services import MERGE_FIELDS, get_settings


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.CharField()
    positive = serializers.BooleanField()


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    version = serializers.IntegerField()


class DuplicatePairSerializer(serializers.ModelSerializer):
    customer_a = CustomerRefSerializer(read_only=True)
    customer_b = CustomerRefSerializer(read_only=True)
    reasons = serializers.SerializerMethodField()
    likely = serializers.SerializerMethodField()

    class Meta:
        model = DuplicatePair
        fields = [
            "id",
            "customer_a",
            "customer_b",
            "score",
            "likely",
            "reasons",
            "status",
            "scanned_at",
            "decided_at",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, obj: DuplicatePair):
        return scoring.public_reasons(obj.reasons)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_likely(self, obj: DuplicatePair) -> bool:
        if "likely_threshold" not in self.context:
            self.context["likely_threshold"] = get_settings().likely_threshold
        return obj.score >= self.context["likely_threshold"]


class DismissSerializer(StrictSerializerMixin, serializers.Serializer):
    version = VersionField(required=True)


class MergeRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    survivor = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    loser = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    survivor_version = VersionField(required=True)
    loser_version = VersionField(required=True)
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=["survivor", "loser"]),
        required=False,
        help_text="For each field (of: " + ", ".join(MERGE_FIELDS) + ") the record whose value "
        "wins: survivor (the default) or loser.",
    )


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Merge
        fields = [
            "id",
            "survivor",
            "loser",
            "survivor_name",
            "loser_name",
            "choices",
            "moved",
            "created_at",
            "created_by",
            "undone_at",
            "undone_by",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["moved"] = {label: len(ids) for label, ids in instance.moved.items()}
        return data


class DuplicateCandidateSerializer(serializers.Serializer):
    visible = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True)
    display_name = serializers.CharField(allow_null=True)
    message = serializers.CharField(required=False)
    score = serializers.FloatField()
    likely = serializers.BooleanField()
    refused = serializers.BooleanField(
        help_text="The save would be refused: the same credit code, or a phone number or "
        "e-mail address the administrator made unique."
    )
    reasons = ReasonSerializer(many=True)
    in_pool = serializers.BooleanField(
        help_text="Not visible, but in the user's public pool: claim it rather than adding it "
        "again (its id and name are given, as the pool shows them)."
    )


class CheckResultSerializer(serializers.Serializer):
    likely = serializers.BooleanField()
    results = DuplicateCandidateSerializer(many=True)
