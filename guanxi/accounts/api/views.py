from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from guanxi.accounts import selectors, services
from guanxi.core.api.viewsets import ServiceViewSet

from .serializers import (
    RoleSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)


class LockedOut(APIException):
    """Too many wrong passwords for this username from this address (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token …`)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, 429: None})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(selectors.lockout_message())
        if user is None or not user.is_active:
            # The same answer whether the user exists or not.
            raise ValidationError(
                {"non_field_errors": [_("The username or the password is wrong.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class TeamViewSet(ServiceViewSet):
    module = "teams"
    serializer_class = TeamSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "name"]

    def select(self, user):
        return selectors.team_list(user=user)

    def create_record(self, *, actor, data):
        return services.save_team(actor=actor, team=None, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.save_team(actor=actor, team=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_team(actor=actor, team=instance)


class UserViewSet(ServiceViewSet):
    """The user directory; administrators create and change users."""

    module = "users"
    serializer_class = UserSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "username"]

    def select(self, user):
        return selectors.user_list(user=user)

    def create_record(self, *, actor, data):
        password = data.pop("password", None)
        return services.save_user(actor=actor, user=None, data=data, password=password)

    def update_record(self, *, actor, instance, data, version):
        password = data.pop("password", None)
        return services.save_user(
            actor=actor, user=instance, data=data, password=password, version=version
        )

    def delete_record(self, *, actor, instance):
        # Users are deactivated, never deleted: their records and history stay attributed.
        services.save_user(
            actor=actor, user=instance, data={"is_active": False}, version=instance.version
        )

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"], permission_classes=[])
    def me(self, request):
        """The signed-in user."""
        if not request.user.is_authenticated:
            return Response(status=status.HTTP_401_UNAUTHORIZED)
        return Response(self.get_serializer(request.user).data)


class RoleViewSet(ServiceViewSet):
    module = "users"
    serializer_class = RoleSerializer
    http_method_names = ["get", "head", "options"]
    filter_backends = []
    ordering = "id"

    def select(self, user):
        return selectors.role_list(user=user)
