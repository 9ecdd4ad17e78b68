from __future__ import annotations

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer
from guanxi.surveys.models import ImprovementAction, Question, Response, Survey, SurveyStatus


class QuestionSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=20
    )
    version = VersionField()

    class Meta:
        model = Question
        fields = [
            "id", "position", "kind", "text", "choices", "required", "scale_min", "scale_max",
            "version",
        ]  # fmt: skip
        read_only_fields = ["id"]
        extra_kwargs = {
            "position": {"max_value": 2**31 - 1},
            "scale_min": {"min_value": -100, "max_value": 100},
            "scale_max": {"min_value": -100, "max_value": 100},
        }


class SurveySerializer(StrictSerializerMixin, serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = Survey
        fields = [
            "id", "title", "kind", "status", "intro", "closes_at", "low_csat", "low_nps",
            "questions", "created_by", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "questions", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"intro": {"max_length": 5000}}


class StatusSerializer(StrictSerializerMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=[SurveyStatus.ACTIVE, SurveyStatus.CLOSED])
    version = VersionField(required=True)


class LinkRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["customer"].queryset = customer_list(user=request.user)


class LinkSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ResponseSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)

    class Meta:
        model = Response
        fields = [
            "id", "survey", "customer", "customer_name", "answers", "csat", "nps", "language",
            "submitted_at", "changed_at", "followup_task",
        ]  # fmt: skip


class ImprovementActionSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    owner_name = serializers.SerializerMethodField()
    survey = serializers.PrimaryKeyRelatedField(
        queryset=Survey.objects.all(), required=False, allow_null=True
    )
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    need = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    is_overdue = serializers.BooleanField(read_only=True)
    version = VersionField()

    class Meta:
        model = ImprovementAction
        fields = [
            "id", "title", "description", "owner", "owner_name", "due_date", "status", "survey",
            "theme", "ticket", "need", "is_overdue", "created_by", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": 20000}}

    def __init__(self, *args, **kwargs):
        from guanxi.needs.selectors import need_list
        from guanxi.tickets.selectors import ticket_list

        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Tickets and needs outside the user's scope look like missing ids.
            self.fields["ticket"].queryset = ticket_list(user=request.user)
            self.fields["need"].queryset = need_list(user=request.user)

    def get_owner_name(self, obj: ImprovementAction) -> str:
        return str(obj.owner) if obj.owner_id else ""
