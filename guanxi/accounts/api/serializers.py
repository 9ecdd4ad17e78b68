from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.models import Role, Team, User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField


class TeamSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    version = VersionField()

    class Meta:
        model = Team
        fields = ["id", "name", "parent", "path", "version", "created_at"]
        read_only_fields = ["id", "path", "created_at"]
        extra_kwargs = {"name": {"validators": []}}


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "is_admin",
            "data_scope",
            "can_view_contact_details",
            "permissions",
        ]
        read_only_fields = fields


class UserSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    password = serializers.CharField(
        write_only=True, required=False, max_length=128, style={"input_type": "password"}
    )
    version = VersionField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "team",
            "role",
            "is_active",
            "language",
            "time_zone",
            "password",
            "version",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["id", "date_joined", "last_login"]
        extra_kwargs = {"username": {"validators": []}}

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [_("This field is required.")]})
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
