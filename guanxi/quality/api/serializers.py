"""Data quality in the API: the settings, self-service links and change requests."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers.masking import present
from guanxi.quality import selectors, services
from guanxi.quality.models import ChangeRequest, LinkState, QualitySettings, SelfServiceLink
from guanxi.quality.policies import may_manage_links


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


# --- self-service links and change requests --------------------------------------------------


class SelfServiceLinkSerializer(serializers.ModelSerializer):
    """A self-service link as its customer's managers see it. The address it was sent to is
    masked for roles that see contact details masked."""

    state = serializers.ChoiceField(
        choices=LinkState.choices,
        read_only=True,
        help_text="live: can be used; used, revoked or expired: it no longer works",
    )
    sent_to = serializers.SerializerMethodField()

    class Meta:
        model = SelfServiceLink
        fields = [
            "id",
            "customer",
            "created_by",
            "created_at",
            "expires_at",
            "sent_to",
            "used_at",
            "revoked_at",
            "state",
        ]
        read_only_fields = fields

    def get_sent_to(self, link: SelfServiceLink) -> str:
        return present(self.context["request"].user, "email", link.sent_to)


class IssuedLinkSerializer(SelfServiceLinkSerializer):
    """A link just made: with its URL, shown this once (as on the 360° page)."""

    url = serializers.SerializerMethodField()

    class Meta(SelfServiceLinkSerializer.Meta):
        fields = [*SelfServiceLinkSerializer.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, link: SelfServiceLink) -> str:
        return services.link_url(link)


class IssueLinkSerializer(StrictSerializerMixin, serializers.Serializer):
    send = serializers.BooleanField(
        required=False,
        default=False,
        help_text="also e-mail the link to the customer's primary e-mail address",
    )


class ProposedChangeSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=services.PROPOSAL_FIELDS, read_only=True)
    label = serializers.CharField(read_only=True)
    current = serializers.JSONField(read_only=True, help_text="the customer's data now")
    proposed = serializers.JSONField(read_only=True, help_text="what the customer proposed")


class ChangeRequestSerializer(serializers.ModelSerializer):
    """Changes a customer proposed through a self-service link, each beside the customer's data
    now (contact details masked for roles that see them masked)."""

    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    changes = serializers.SerializerMethodField()
    may_decide = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "customer",
            "customer_name",
            "status",
            "changes",
            "created_at",
            "decided_by",
            "decided_at",
            "reason",
            "may_decide",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(ProposedChangeSerializer(many=True))
    def get_changes(self, request: ChangeRequest) -> list[dict]:
        user = self.context["request"].user
        changes = selectors.request_changes(user=user, request=request)
        return ProposedChangeSerializer(changes, many=True).data

    def get_may_decide(self, request: ChangeRequest) -> bool:
        decidable = self.context.get("decidable")  # read for a whole page at once
        if decidable is not None:
            return request.customer_id in decidable
        return may_manage_links(self.context["request"].user, request.customer)


class AcceptRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    version = VersionField(required=True, help_text="the version of the request you read")


class AcceptSerializer(AcceptRequestSerializer):
    customer_version = VersionField(
        help_text="the version of the customer whose data you read beside the request: "
        "refused with 409 when the customer changed since"
    )


class RejectRequestSerializer(AcceptRequestSerializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="why the changes are rejected (required)",
    )
