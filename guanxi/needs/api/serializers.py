from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.models import Customer
from guanxi.interactions.models import Interaction
from guanxi.needs.models import Need
from guanxi.tickets.models import Ticket


class NeedSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), required=False)
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), required=False, allow_null=True
    )
    interaction = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.objects.none(), required=False, allow_null=True
    )
    version = VersionField()

    class Meta:
        model = Need
        fields = [
            "id",
            "customer",
            "title",
            "description",
            "category",
            "importance",
            "status",
            "source",
            "ticket",
            "interaction",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "source", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": 20000}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list
        from guanxi.interactions.selectors import interaction_list
        from guanxi.tickets.selectors import ticket_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            user = request.user
            self.fields["customer"].queryset = customer_list(user=user)
            self.fields["ticket"].queryset = ticket_list(user=user)
            self.fields["interaction"].queryset = interaction_list(user=user)
        if self.instance is not None and not isinstance(self.instance, list):
            for name in ("customer", "ticket", "interaction"):
                self.fields[name].read_only = True
