from __future__ import annotations

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer
from guanxi.tickets.models import Ticket, TicketCategory, TicketReply
from guanxi.tickets.services import TRANSITIONS


class TicketSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    category = serializers.PrimaryKeyRelatedField(
        queryset=TicketCategory.objects.filter(is_active=True)
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee_name = serializers.SerializerMethodField()
    category_name = serializers.SerializerMethodField()
    version = VersionField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "customer",
            "kind",
            "category",
            "category_name",
            "priority",
            "subject",
            "description",
            "status",
            "source",
            "assignee",
            "assignee_name",
            "team",
            "created_by",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "sla_alert",
            "first_response_met",
            "resolution_met",
            "rating",
            "rating_comment",
            "rated_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "source",
            "team",
            "created_by",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "sla_alert",
            "first_response_met",
            "resolution_met",
            "rating",
            "rating_comment",
            "rated_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"description": {"max_length": 20000}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Customers outside the user's scope look like missing ids.
            self.fields["customer"].queryset = customer_list(user=request.user)
        if self.instance is not None and not isinstance(self.instance, list):
            self.fields["customer"].read_only = True

    def get_assignee_name(self, obj: Ticket) -> str:
        return str(obj.assignee) if obj.assignee_id else ""

    def get_category_name(self, obj: Ticket) -> str:
        return str(obj.category)


class TransitionSerializer(StrictSerializerMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    # Required: a status change decided on an older ticket (resolving what a colleague has
    # just reopened) is refused with 409 rather than undoing their change.
    version = VersionField(required=True, help_text="the version of the ticket you read")


class ArticleLinkSerializer(StrictSerializerMixin, serializers.Serializer):
    article = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    linked = serializers.BooleanField(default=True)


class LinkedArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ReplySerializer(StrictSerializerMixin, serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    is_public = serializers.BooleanField(default=True)

    class Meta:
        model = TicketReply
        fields = ["id", "body", "is_public", "from_customer", "author", "author_name", "created_at"]
        read_only_fields = ["id", "from_customer", "author", "created_at"]
        extra_kwargs = {"body": {"max_length": 20000}}

    def get_author_name(self, obj: TicketReply) -> str:
        return str(obj.author) if obj.author_id else ""
