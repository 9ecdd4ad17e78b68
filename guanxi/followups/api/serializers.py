from __future__ import annotations

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer
from guanxi.followups.models import Task


class TaskSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    assignee_name = serializers.SerializerMethodField()
    version = VersionField()

    class Meta:
        model = Task
        fields = [
            "id",
            "customer",
            "kind",
            "title",
            "notes",
            "assignee",
            "assignee_name",
            "created_by",
            "due_at",
            "priority",
            "status",
            "completed_at",
            "recurrence",
            "reminded_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "created_by",
            "status",
            "completed_at",
            "reminded_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"notes": {"max_length": 20000}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Customers outside the user's scope look like missing ids.
            self.fields["customer"].queryset = customer_list(user=request.user)

    def get_assignee_name(self, obj: Task) -> str:
        return str(obj.assignee) if obj.assignee_id else ""


class TaskActionSerializer(StrictSerializerMixin, serializers.Serializer):
    version = VersionField()
