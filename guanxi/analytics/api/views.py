"""The analytics API: the fitted lifetime value model, starting a full recompute, a
customer's lifecycle history and the days spent in each stage."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.analytics import selectors, services
from guanxi.core.api.permissions import ModulePermission
from guanxi.customers import selectors as customer_selectors
from guanxi.jobs.api.serializers import JobSerializer

from .serializers import (
    ModelFitSerializer,
    RecomputeSerializer,
    StageStayListSerializer,
    StageStaySerializer,
    StageTimeListSerializer,
)


class ModelView(APIView):
    """The parameters of the latest fit of the BG/NBD (r, alpha, a, b; time in days) and
    Gamma-Gamma (p, q, gamma) models, and when they were fitted; how many customers it covered
    only for roles that see every customer (null otherwise). With `?backtest=true`, the latest
    backtest instead (a recompute as of a past date): its `holdout` compares the purchases it
    predicted for the time since with those that followed."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "backtest", bool, description="the latest backtest instead of the current fit"
            )
        ],
        responses={200: ModelFitSerializer},
    )
    def get(self, request):
        if not selectors.can_view(request.user):
            raise PermissionDenied()
        flag = request.query_params.get("backtest", "false").strip().lower()
        if flag not in ("true", "false", "1", "0"):
            raise ValidationError({"backtest": _("Enter true or false.")})
        fit = selectors.latest_fit(user=request.user, backtest=flag in ("true", "1"))
        if fit is None:
            raise NotFound(_("The models have not been fitted yet."))
        show_size = selectors.sees_fit_size(request.user)
        return Response(ModelFitSerializer(fit, context={"show_size": show_size}).data)


class RecomputeView(APIView):
    """Start a full recompute job (administrators and roles with the analytics "change"
    permission), optionally as of a past moment: only orders up to then count."""

    @extend_schema(request=RecomputeSerializer, responses={202: JobSerializer})
    def post(self, request):
        serializer = RecomputeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.start_recompute(
            actor=request.user, as_of=serializer.validated_data.get("as_of")
        )
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CustomerLifecycleView(APIView):
    """A customer's lifecycle history: the stages they went through, oldest first, each with
    when it began and ended (null: the current stage) and the days spent in it. A customer
    the user may not see is not found."""

    permission_classes = [ModulePermission]
    module = "analytics"

    @extend_schema(responses=StageStayListSerializer)
    def get(self, request, pk: int):
        # A customer the user may not see: DoesNotExist, a 404 by the API's exception handler.
        customer = customer_selectors.customer_get(user=request.user, pk=pk)
        stays = selectors.stage_stays(user=request.user, customer=customer)
        return Response({"results": StageStaySerializer(stays, many=True).data})


class LifecycleReportView(APIView):
    """For each lifecycle stage, over the customers the user may see: the stays recorded and
    the average and median days a stay lasted (the current ones up to now)."""

    permission_classes = [ModulePermission]
    module = "analytics"

    @extend_schema(responses=StageTimeListSerializer)
    def get(self, request):
        rows = selectors.time_in_stages(user=request.user)
        as_of = selectors.stage_times_as_of(user=request.user)
        return Response(StageTimeListSerializer({"results": rows, "as_of": as_of}).data)
