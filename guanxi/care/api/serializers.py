from __future__ import annotations

from rest_framework import serializers

from guanxi.care.models import CarePlan, GreetingTemplate
from guanxi.care.services import TEMPLATE_FIELDS
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Grade


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


class GreetingTemplateSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """The greeting of one occasion in Chinese and English. Subjects and messages may use the
    placeholders {name}, {display_name}, {owner_name}, {festival} and {date}; {{ and }} stand
    for literal braces."""

    label = serializers.CharField(source="get_occasion_display", read_only=True)
    grades = serializers.ListField(
        child=serializers.ChoiceField(choices=Grade.choices),
        required=False,
        max_length=len(Grade.choices),
        help_text="the grades greeted; empty: every grade",
    )
    version = VersionField()

    class Meta:
        model = GreetingTemplate
        # What the service changes (care.services.TEMPLATE_FIELDS), between what is read only.
        fields = ["occasion", "label", *TEMPLATE_FIELDS, "version", "updated_at"]
        read_only_fields = ["occasion", "updated_at"]
