"""API views for customers, contacts, tags and custom fields: adapters over the selectors and
services of guanxi.customers."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.accounts.api.filters import TeamFilter
from guanxi.audit.api.serializers import AuditEventSerializer
from guanxi.audit.selectors import customer_history
from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.customers import normalize, selectors, services
from guanxi.customers.models import (
    Customer,
    CustomerKind,
    Grade,
    LifecycleStage,
    Status,
    ValueTier,
)

from .serializers import (
    ContactSerializer,
    CustomerSerializer,
    CustomFieldDefinitionSerializer,
    NoteSerializer,
    RestoreSerializer,
    ShareSerializer,
    TagSerializer,
)


class CustomerSearchFilter(filters.BaseFilterBackend):
    """`search=`: names, aliases, pinyin and initials, phone in any format, e-mail."""

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get("search", "")
        return selectors.search(queryset, query, user=request.user) if query.strip() else queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "search",
                "required": False,
                "in": "query",
                "description": str(
                    _("Name, short name, alias, pinyin or initials, phone number or e-mail.")
                ),
                "schema": {"type": "string"},
            }
        ]


class CustomerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices)
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices)
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    lifecycle_stage = django_filters.MultipleChoiceFilter(choices=LifecycleStage.choices)
    value_tier = django_filters.MultipleChoiceFilter(choices=ValueTier.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    team = TeamFilter(field_name="team_id")
    tag = django_filters.CharFilter(field_name="tags__name", max_length=50)
    region = django_filters.CharFilter(max_length=100)
    industry = django_filters.CharFilter(max_length=100)
    source = django_filters.CharFilter(max_length=100)
    external_id = django_filters.CharFilter(max_length=100)
    # As the services take it: grouped with spaces or hyphens, any case (stored compact).
    credit_code = django_filters.CharFilter(max_length=40, method="filter_credit_code")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    segment = django_filters.NumberFilter(method="filter_segment", label=_("Segment"))

    class Meta:
        model = Customer
        fields = []

    def filter_credit_code(self, queryset, name, value):
        return queryset.filter(credit_code=normalize.compact_credit_code(value))

    def filter_segment(self, queryset, name, value):
        from rest_framework.exceptions import ValidationError as ApiValidationError

        try:
            return selectors.in_segment(queryset, value, user=self.request.user)
        except ValidationError as error:
            raise ApiValidationError({"segment": error.messages}) from None


class CustomerViewSet(ServiceViewSet):
    """Customers: people and organisations, within the acting user's scope."""

    module = "customers"
    serializer_class = CustomerSerializer
    filter_backends = [
        CustomerSearchFilter,
        django_filters.rest_framework.DjangoFilterBackend,
        filters.OrderingFilter,
    ]
    filterset_class = CustomerFilter
    ordering_fields = [
        "id",
        "display_name",
        "created_at",
        "updated_at",
        "last_purchase_at",
        "total_spent",
    ]
    ordering = ["-id"]
    module_actions = {
        "history": "view",
        "restore": "delete",
        "recycle_bin": "view",
        "share": "change",
        "verify": "change",
    }

    def select(self, user):
        if self.action in ("restore", "recycle_bin"):
            qs = selectors.recycle_bin(user=user)
        else:
            qs = selectors.customer_list(user=user)
        qs = qs.annotate(referrer_visible=selectors.referrer_visible(user))
        return qs.select_related("owner").prefetch_related("contact_points", "addresses", "tags")

    def create_record(self, *, actor, data):
        return services.create_customer(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_customer(actor=actor, customer=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        # `?version=` makes the delete conditional: refused with 409 if the customer changed.
        version = self.request.query_params.get("version")
        services.delete_customer(actor=actor, customer=instance, version=version or None)

    def output(self, instance, status_code=status.HTTP_200_OK):
        if instance.deleted_at is not None:
            instance = selectors.recycle_bin(user=self.request.user).get(pk=instance.pk)
            return Response(self.get_serializer(instance).data, status=status_code)
        return super().output(instance, status_code)

    @extend_schema(request=RestoreSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Take a customer back out of the recycle bin."""
        customer = self.get_object()
        customer = services.restore_customer(actor=request.user, customer=customer)
        return Response(
            self.get_serializer(selectors.customer_get(user=request.user, pk=customer.pk)).data
        )

    @extend_schema(responses=CustomerSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="recycle-bin")
    def recycle_bin(self, request):
        """Deleted customers the user may see; they are purged after RECYCLE_BIN_DAYS."""
        self.ordering = ["-deleted_at"]
        return self.list(request)

    @extend_schema(
        responses=AuditEventSerializer(many=True),
        parameters=[OpenApiParameter("cursor", str, required=False)],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """The customer's change history, newest first: its own changes and those of its
        contacts, interactions and orders."""
        customer = selectors.customer_or_deleted_get(user=request.user, pk=pk)
        events = customer_history(user=request.user, customer=customer)
        page = self.paginate_queryset(events)
        serializer = AuditEventSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(request=RestoreSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Mark the customer's data as checked now (sets `verified_at`; audited)."""
        from guanxi.quality import services as quality_services  # closes its data-check task

        customer = self.get_object()
        quality_services.verify(actor=request.user, customer=customer)
        return self.output(selectors.customer_get(user=request.user, pk=customer.pk))

    @extend_schema(request=ShareSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post", "delete"])
    def share(self, request, pk=None):
        """Share the customer with a user or a team (POST), or stop sharing (DELETE)."""
        customer = self.get_object()
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = {
            "user": serializer.validated_data.get("user"),
            "team": serializer.validated_data.get("team"),
        }
        if request.method == "DELETE":
            services.unshare_customer(actor=request.user, customer=customer, **target)
        else:
            services.share_customer(
                actor=request.user,
                customer=customer,
                can_edit=serializer.validated_data.get("can_edit", False),
                **target,
            )
        return self.output(customer)


class ContactViewSet(ServiceViewSet):
    """People at organisations; seen when their organisation is."""

    module = "contacts"
    serializer_class = ContactSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_fields = ["organisation", "role"]
    ordering_fields = ["id", "name"]

    def select(self, user):
        return selectors.contact_list(user=user)

    def create_record(self, *, actor, data):
        return services.create_contact(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_contact(actor=actor, contact=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_contact(actor=actor, contact=instance)


class TagViewSet(ServiceViewSet):
    module = "customers"
    module_actions = {"create": "change", "partial_update": "change", "destroy": "change"}
    serializer_class = TagSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "name"]

    def select(self, user):
        return selectors.tag_list(user=user)

    def create_record(self, *, actor, data):
        return services.save_tag(actor=actor, tag=None, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.save_tag(actor=actor, tag=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_tag(actor=actor, tag=instance)


class CustomFieldViewSet(ServiceViewSet):
    """Definitions of custom fields; any user reads them, administrators change them."""

    module = "customers"
    module_actions = {"create": "view", "partial_update": "view", "destroy": "view"}
    serializer_class = CustomFieldDefinitionSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "position", "key"]

    def select(self, user):
        return selectors.custom_field_list(user=user)

    def create_record(self, *, actor, data):
        return services.save_custom_field(actor=actor, definition=None, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.save_custom_field(
            actor=actor, definition=instance, data=data, version=version
        )

    def delete_record(self, *, actor, instance):
        services.delete_custom_field(actor=actor, definition=instance)


class NoteFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")


class NoteViewSet(ServiceViewSet):
    """Notes on customers; seen when their customer is, written by whoever may change it."""

    module = "customers"
    module_actions = {"create": "change", "partial_update": "change", "destroy": "change"}
    serializer_class = NoteSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = NoteFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.note_list(user=user).select_related("author")

    def create_record(self, *, actor, data):
        return services.create_note(actor=actor, customer=data["customer"], body=data["body"])

    def update_record(self, *, actor, instance, data, version):
        if "customer" in data and data["customer"].pk != instance.customer_id:
            from django.core.exceptions import ValidationError

            raise ValidationError({"customer": _("A note cannot move to another customer.")})
        return services.update_note(
            actor=actor, note=instance, body=data.get("body", instance.body), version=version
        )

    def delete_record(self, *, actor, instance):
        services.delete_note(actor=actor, note=instance)
