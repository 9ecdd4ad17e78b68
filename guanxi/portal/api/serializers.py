"""Portal links in the API."""

from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api.serializers import StrictSerializerMixin
from guanxi.portal import services
from guanxi.portal.models import PortalLink


class PortalLinkSerializer(serializers.ModelSerializer):
    is_live = serializers.BooleanField(
        read_only=True, help_text="not revoked and not expired: the link opens the portal"
    )

    class Meta:
        model = PortalLink
        fields = [
            "id",
            "customer",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_live",
        ]
        read_only_fields = fields


class IssuedPortalLinkSerializer(PortalLinkSerializer):
    """A link just issued, with its URL (PUBLIC_BASE_URL/portal/c/…): shown this once."""

    url = serializers.SerializerMethodField()

    class Meta(PortalLinkSerializer.Meta):
        fields = [*PortalLinkSerializer.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, link: PortalLink) -> str:
        return services.portal_url(link)


class IssuePortalLinkSerializer(StrictSerializerMixin, serializers.Serializer):
    """Nothing to send: the link lives PORTAL_LINK_DAYS days."""
