"""API views of duplicate detection: adapters over the selectors and services of guanxi.dedup.

- POST /api/v1/customers/check-duplicates/   what saving this customer would collide with
- GET  /api/v1/duplicates/                   pairs (both customers visible to the user)
- POST /api/v1/duplicates/scan/              start the scan job (202, the job)
- POST /api/v1/duplicates/{id}/dismiss/      "not a duplicate"
- POST /api/v1/customers/merge/              merge (201, the merge)
- GET  /api/v1/customers/merge/{id}/         one merge
- POST /api/v1/customers/merge/{id}/undo/    undo a merge
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.core.api.permissions import ModulePermission
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.api.serializers import CustomerSerializer
from guanxi.customers.models import Customer
from guanxi.dedup import selectors, services
from guanxi.dedup.models import DuplicatePair, PairStatus
from guanxi.jobs.api.serializers import JobSerializer

from .serializers import (
    CheckResultSerializer,
    DismissSerializer,
    DuplicatePairSerializer,
    MergeRequestSerializer,
    MergeSerializer,
)


class PairFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PairStatus.choices)
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    customer = django_filters.NumberFilter(method="filter_customer")

    class Meta:
        model = DuplicatePair
        fields = ["status", "min_score", "customer"]

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer_a_id=value) | queryset.filter(customer_b_id=value)


class DuplicatePairViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Possible duplicates found by the scan, best score first; only pairs whose two customers
    the user may see. Filters: status (default open), min_score, customer."""

    permission_classes = [ModulePermission]
    module = "customers"
    module_actions = {"scan": "view", "dismiss": "change"}
    serializer_class = DuplicatePairSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = PairFilter
    ordering = ("-score", "-id")
    queryset = DuplicatePair.objects.none()  # for the schema; reads go through the selector

    def get_queryset(self):
        status_filter = None if "status" in self.request.query_params else PairStatus.OPEN
        if self.action != "list":
            status_filter = None
        return selectors.pair_list(user=self.request.user, status=status_filter)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], filter_backends=[])
    def scan(self, request):
        """Start the scan of the whole base (administrators and managers)."""
        job = services.start_scan(actor=request.user)
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=DismissSerializer, responses=DuplicatePairSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def dismiss(self, request, pk=None):
        """Not a duplicate: later scans do not raise this pair again."""
        pair = self.get_object()
        body = DismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pair = services.dismiss_pair(
            actor=request.user, pair=pair, version=body.validated_data["version"]
        )
        pair = selectors.pair_get(user=request.user, pk=pair.pk)
        return Response(self.get_serializer(pair).data)


class CheckDuplicatesView(APIView):
    """What creating (or, with `id`, changing) this customer would collide with. The body is
    the body of a customer create; `id` names the customer being edited."""

    permission_classes = [ModulePermission]
    module = "customers"
    module_action = "view"

    @extend_schema(request=CustomerSerializer, responses=CheckResultSerializer)
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        body = dict(request.data)
        exclude_id = body.pop("id", None)
        if exclude_id is not None:
            try:
                exclude_id = customer_selectors.customer_get(user=request.user, pk=exclude_id).pk
            except Customer.DoesNotExist:
                raise ValidationError({"id": [_("There is no such customer.")]}) from None
        serializer = CustomerSerializer(data=body, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        results = services.check_duplicates(
            actor=request.user, data=dict(serializer.validated_data), exclude_id=exclude_id
        )
        return Response({"likely": any(r["likely"] for r in results), "results": results})


class MergeView(APIView):
    """Merge `loser` into `survivor`, choosing per field which value wins."""

    permission_classes = [ModulePermission]
    module = "customers"
    module_action = "change"

    @extend_schema(request=MergeRequestSerializer, responses={201: MergeSerializer})
    def post(self, request):
        body = MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["survivor"] == data["loser"]:
            raise ValidationError({"loser": [_("A customer cannot be merged with itself.")]})
        customers = {}
        for name in ("survivor", "loser"):
            try:
                customers[name] = customer_selectors.customer_get(user=request.user, pk=data[name])
            except Customer.DoesNotExist:
                raise ValidationError({name: [_("There is no such customer.")]}) from None
        merge = services.merge_customers(
            actor=request.user,
            survivor=customers["survivor"],
            loser=customers["loser"],
            choices=data.get("choices") or {},
            survivor_version=data["survivor_version"],
            loser_version=data["loser_version"],
        )
        return Response(MergeSerializer(merge).data, status=status.HTTP_201_CREATED)


class MergeDetailView(APIView):
    permission_classes = [ModulePermission]
    module = "customers"
    module_action = "view"

    @extend_schema(responses=MergeSerializer)
    def get(self, request, merge_id: int):
        return Response(MergeSerializer(selectors.merge_get(user=request.user, pk=merge_id)).data)


class MergeUndoView(APIView):
    permission_classes = [ModulePermission]
    module = "customers"
    module_action = "change"

    @extend_schema(request=None, responses=MergeSerializer)
    def post(self, request, merge_id: int):
        """Undo a merge (refused with 409 when the survivor was changed since in a field the
        merge set)."""
        merge = selectors.merge_get(user=request.user, pk=merge_id)
        merge = services.undo_merge(actor=request.user, merge=merge)
        return Response(MergeSerializer(merge).data)
