"""Data quality in the API: the settings (naming rules, uniqueness, cycles; administrators only),
a customer's self-service links, and the change requests customers send through them.
Adapters over guanxi.quality's selectors and services, under the same policies as the pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.core.api.permissions import ModulePermission
from guanxi.customers.selectors import customer_get
from guanxi.quality import selectors, services
from guanxi.quality.models import RequestStatus
from guanxi.quality.policies import may_configure, may_manage_links

from .serializers import (
    AcceptSerializer,
    ChangeRequestSerializer,
    IssuedLinkSerializer,
    IssueLinkSerializer,
    NamingRulesSerializer,
    RejectRequestSerializer,
    SelfServiceLinkSerializer,
)


class NamingRulesView(APIView):
    """GET the rules; PATCH them with the `version` you read (a stale one answers 409)."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not may_configure(request.user):
            raise PermissionDenied()

    @extend_schema(responses=NamingRulesSerializer)
    def get(self, request):
        return Response(NamingRulesSerializer(services.get_settings()).data)

    @extend_schema(request=NamingRulesSerializer, responses=NamingRulesSerializer)
    def patch(self, request):
        serializer = NamingRulesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        row = services.save_settings(actor=request.user, data=data, version=version)
        return Response(NamingRulesSerializer(row).data)


# --- self-service links -----------------------------------------------------------------------


def _managed_customer(request, pk):
    """A customer the user may see (otherwise DoesNotExist: a 404) and may manage the links
    of (otherwise a 403, as the 360° page answers)."""
    customer = customer_get(user=request.user, pk=pk)
    if not may_manage_links(request.user, customer):
        raise PermissionDenied()
    return customer


class CustomerLinksView(GenericAPIView):
    """A customer's self-service links, newest first (GET), and a new one (POST): a signed link
    through which this one customer checks and corrects their own data, without signing in.
    It expires after the configured number of days and works once. Whoever may change the
    customer manages its links."""

    serializer_class = SelfServiceLinkSerializer
    filter_backends = []
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        customer = _managed_customer(self.request, self.kwargs["pk"])
        return selectors.link_list(user=self.request.user, customer=customer)

    @extend_schema(responses=SelfServiceLinkSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=IssueLinkSerializer, responses={201: IssuedLinkSerializer})
    def post(self, request, pk: int):
        customer = _managed_customer(request, pk)
        serializer = IssueLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.create_link(
            actor=request.user,
            customer=customer,
            send=serializer.validated_data["send"],
        )
        data = IssuedLinkSerializer(link, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class RevokeLinkView(GenericAPIView):
    """Withdraw a customer's self-service link: it no longer opens (withdrawing it twice does
    nothing more)."""

    serializer_class = SelfServiceLinkSerializer
    filter_backends = []

    @extend_schema(request=None, responses=SelfServiceLinkSerializer)
    def post(self, request, pk: int, link_id: int):
        customer = _managed_customer(request, pk)
        links = selectors.link_list(user=request.user, customer=customer)
        link = links.filter(pk=link_id).first() if 0 < link_id < 2**63 else None
        if link is None:
            raise NotFound()
        link = services.revoke_link(actor=request.user, link=link)
        return Response(self.get_serializer(link).data)


# --- change requests --------------------------------------------------------------------------

STATUS_PARAMETER = OpenApiParameter(
    "status",
    str,
    enum=[*RequestStatus.values, "all"],
    description="pending (the default), accepted, rejected or all",
)


class ChangeRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Changes customers proposed through their self-service links, for the customers the user
    may see. Whoever may change the customer accepts them (applied through the customer
    services, with every rule, and the record marked verified) or rejects them with a reason;
    both with the `version` of the request read (409 when someone decided meanwhile)."""

    permission_classes = [ModulePermission]
    module = "customers"
    module_actions = {"accept": "change", "reject": "change"}
    serializer_class = ChangeRequestSerializer
    ordering = ["-created_at", "-id"]
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        status_filter = RequestStatus.PENDING
        if self.action == "list":
            status_filter = self.request.query_params.get("status") or RequestStatus.PENDING
            if status_filter == "all":
                status_filter = None
            elif status_filter not in RequestStatus.values:
                raise serializers.ValidationError(
                    {"status": [_("Choose pending, accepted, rejected or all.")]}
                )
        else:
            status_filter = None
        qs = selectors.request_list(user=self.request.user, status=status_filter)
        customer = self.request.query_params.get("customer") if self.action == "list" else None
        if customer:
            if not (customer.isascii() and customer.isdigit()) or len(customer) > 18:
                raise serializers.ValidationError({"customer": [_("Enter a whole number.")]})
            qs = qs.filter(customer_id=int(customer))
        return qs.prefetch_related("customer__contact_points", "customer__addresses")

    def get_serializer(self, *args, **kwargs):
        if kwargs.get("many") and args:
            rows = list(args[0])
            context = kwargs.setdefault("context", self.get_serializer_context())
            context["decidable"] = selectors.decidable_customer_ids(
                user=self.request.user, requests=rows
            )
            args = (rows, *args[1:])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        parameters=[
            STATUS_PARAMETER,
            OpenApiParameter("customer", int, description="only this customer's requests"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AcceptSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Apply the proposed changes to the customer."""
        change = self.get_object()
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.accept_request(
            actor=request.user,
            request=change,
            version=serializer.validated_data["version"],
            customer_version=serializer.validated_data.get("customer_version"),
        )
        return self._output(change)

    @extend_schema(request=RejectRequestSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the proposed changes, saying why (the customer's data stays as it is)."""
        change = self.get_object()
        serializer = RejectRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reject_request(
            actor=request.user,
            request=change,
            reason=serializer.validated_data.get("reason", ""),
            version=serializer.validated_data["version"],
        )
        return self._output(change)

    def _output(self, change):
        change = self.get_queryset().get(pk=change.pk)
        return Response(self.get_serializer(change).data)
