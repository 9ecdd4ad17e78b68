"""The data quality settings in the API."""

from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.quality.models import QualitySettings


class NamingRulesSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    forbidden_words = serializers.ListField(
        child=serializers.CharField(max_length=50, allow_blank=True),
        required=False,
        max_length=200,
    )
    legal_suffixes = serializers.ListField(
        child=serializers.CharField(max_length=50, allow_blank=True),
        required=False,
        max_length=200,
    )
    version = VersionField()

    class Meta:
        model = QualitySettings
        fields = [
            "forbidden_words",
            "require_legal_suffix",
            "legal_suffixes",
            "person_name_min",
            "person_name_max",
            "organisation_name_min",
            "organisation_name_max",
            "unique_phone",
            "unique_email",
            "cycle_vip_days",
            "cycle_important_days",
            "cycle_normal_days",
            "incomplete_below",
            "link_days",
            "version",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
