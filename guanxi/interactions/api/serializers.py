from __future__ import annotations

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Contact, Customer
from guanxi.interactions.models import Interaction


class InteractionSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), required=False, allow_null=True
    )
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    user_name = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField(required=False)
    version = VersionField()

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "contact",
            "channel",
            "direction",
            "purpose",
            "subject",
            "content",
            "occurred_at",
            "duration_minutes",
            "user",
            "user_name",
            "outcome",
            "quality_rating",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"content": {"max_length": 20000}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import contact_list, customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Customers and contacts outside the user's scope look like missing ids.
            self.fields["customer"].queryset = customer_list(user=request.user)
            self.fields["contact"].queryset = contact_list(user=request.user)

    def get_user_name(self, obj: Interaction) -> str:
        return str(obj.user) if obj.user_id else ""
