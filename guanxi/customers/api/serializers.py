"""Customer and contact representations. Contact details pass through `masking.present`, the
same code that masks them on every other channel."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.accounts.models import Team, User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.customers import masking
from guanxi.customers.models import (
    Address,
    Contact,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomFieldDefinition,
    Note,
    Tag,
)
from guanxi.customers.policies import can_see
from guanxi.customers.services import MAX_LIST_ITEMS


def _user(serializer) -> User:
    return serializer.context["request"].user


class ContactPointSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ContactPointKind.choices)
    value = serializers.CharField(max_length=200)

    class Meta:
        model = ContactPoint
        fields = ["id", "kind", "value", "normalized", "label", "is_primary"]
        read_only_fields = ["id", "normalized"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = _user(self)
        data["value"] = masking.present(user, instance.kind, instance.value)
        data["normalized"] = masking.present(user, instance.kind, instance.normalized)
        return data


class AddressSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = [
            "id",
            "label",
            "country",
            "province",
            "city",
            "district",
            "street",
            "postcode",
            "is_primary",
        ]
        read_only_fields = ["id"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["street"] = masking.present(_user(self), "street", instance.street)
        return data


class TagListField(serializers.ListField):
    """Tags by name: written as a list of names, read from the prefetched tags."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=50))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_representation(self, data):
        return sorted(tag.name for tag in data.all())


class RoundedFloatField(serializers.FloatField):
    """A model's float to six decimals: a probability of 1e-35 reads 0.0, not 1.07e-35."""

    def to_representation(self, value):
        return round(float(value), 6)


class CustomerSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    # As many as the services keep (MAX_LIST_ITEMS): the duplicate check reads this body
    # without the services, and thousands of points made its lookup fail.
    contact_points = ContactPointSerializer(many=True, required=False, max_length=MAX_LIST_ITEMS)
    addresses = AddressSerializer(many=True, required=False, max_length=MAX_LIST_ITEMS)
    tags = TagListField(required=False)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )
    interests = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20
    )
    custom_fields = serializers.DictField(required=False)
    # Room for the spaces people type between groups (as on the web form): the services store
    # the compact code and refuse a wrong one with its own message.
    credit_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    identity_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    owner_name = serializers.SerializerMethodField()
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    # A customer the acting user may see (set in __init__); the services refuse the customer
    # itself.
    referred_by = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), required=False, allow_null=True
    )
    version = VersionField()
    # Scores (analytics.CustomerScore), read-only, from the joined `score` row.
    recency_days = serializers.IntegerField(source="score.recency_days", read_only=True)
    frequency = serializers.IntegerField(source="score.frequency", read_only=True)
    monetary = serializers.DecimalField(
        source="score.monetary", max_digits=14, decimal_places=2, read_only=True
    )
    rfm_score = serializers.CharField(source="score.rfm_score", read_only=True)
    rfm_segment = serializers.CharField(source="score.rfm_segment", read_only=True)
    clv = serializers.DecimalField(
        source="score.clv", max_digits=16, decimal_places=2, read_only=True
    )
    expected_purchases_90d = RoundedFloatField(
        source="score.expected_purchases_90d", read_only=True
    )
    p_alive = RoundedFloatField(source="score.p_alive", read_only=True)
    churn_risk = RoundedFloatField(source="score.churn_risk", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "display_name",
            "legal_name",
            "short_name",
            "aliases",
            "external_id",
            "credit_code",
            "identity_code",
            "gender",
            "birthday",
            "occupation",
            "interests",
            "preferences",
            "industry",
            "region",
            "source",
            "grade",
            "status",
            "lifecycle_stage",
            "value_tier",
            "referred_by",
            "marketing_consent",
            "marketing_consent_at",
            "verified_at",
            "completeness",
            "tags",
            "custom_fields",
            "notes",
            "owner",
            "owner_name",
            "team",
            "contact_points",
            "addresses",
            "order_count",
            "total_spent",
            "average_order_value",
            "first_purchase_at",
            "last_purchase_at",
            "interaction_count",
            "last_interaction_at",
            "open_tickets",
            "recency_days",
            "frequency",
            "monetary",
            "rfm_score",
            "rfm_segment",
            "clv",
            "expected_purchases_90d",
            "p_alive",
            "churn_risk",
            "version",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        read_only_fields = [
            "id",
            "order_count",
            "total_spent",
            "average_order_value",
            "first_purchase_at",
            "last_purchase_at",
            "interaction_count",
            "last_interaction_at",
            "open_tickets",
            "marketing_consent_at",
            "verified_at",
            "completeness",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        extra_kwargs = {"display_name": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["referred_by"].queryset = customer_list(user=request.user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # An identity number is personal data: masked like contact details.
        data["identity_code"] = masking.present(_user(self), "identity", instance.identity_code)
        # The referrer's number only to a user who may see the referrer (the API's select
        # annotates it; without the annotation, ask once).
        if instance.referred_by_id is not None:
            visible = getattr(instance, "referrer_visible", None)
            if visible is None:
                visible = can_see(_user(self), instance.referred_by)
            if not visible:
                data["referred_by"] = None
        return data

    @extend_schema_field(OpenApiTypes.STR)
    def get_owner_name(self, obj: Customer) -> str:
        return str(obj.owner) if obj.owner_id else ""

    def validate(self, attrs):
        if self.instance is None and not (
            attrs.get("display_name") or attrs.get("legal_name") or attrs.get("short_name")
        ):
            raise serializers.ValidationError({"display_name": [_("Enter the customer's name.")]})
        # The services take plain data for contact points and addresses.
        for key in ("contact_points", "addresses"):
            if key in attrs:
                attrs[key] = [dict(item) for item in attrs[key]]
        return attrs


class ContactSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    version = VersionField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "organisation",
            "name",
            "title",
            "role",
            "mobile",
            "email",
            "notes",
            "is_primary",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only organisations the user can see can be named; others look like missing ids.
            self.fields["organisation"].queryset = customer_list(user=request.user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = _user(self)
        data["mobile"] = masking.present(user, "mobile", instance.mobile)
        data["email"] = masking.present(user, "email", instance.email)
        return data


class TagSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = Tag
        fields = ["id", "name", "color", "version"]
        read_only_fields = ["id"]


class CustomFieldDefinitionSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    version = VersionField()

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "id",
            "key",
            "label",
            "field_type",
            "applies_to",
            "required",
            "choices",
            "max_length",
            "min_value",
            "max_value",
            "pattern",
            "help_text",
            "position",
            "active",
            "version",
        ]
        read_only_fields = ["id"]


class RestoreSerializer(serializers.Serializer):
    pass


class ShareSerializer(StrictSerializerMixin, serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    can_edit = serializers.BooleanField(required=False, default=False)


class NoteSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    author_name = serializers.SerializerMethodField()
    body = serializers.CharField(max_length=10000)
    version = VersionField()

    class Meta:
        model = Note
        fields = ["id", "customer", "author", "author_name", "body", "created_at", "version"]
        read_only_fields = ["id", "author", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.customers.selectors import customer_list

        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # A customer outside the user's scope looks like a missing id.
            self.fields["customer"].queryset = customer_list(user=request.user)

    def get_author_name(self, obj: Note) -> str:
        return str(obj.author) if obj.author_id else ""
