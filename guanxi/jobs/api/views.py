from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from guanxi.accounts.policies import is_admin
from guanxi.core.errors import PermissionDeniedError
from guanxi.jobs import selectors, services
from guanxi.jobs.models import Job

from .serializers import JobSerializer, JobStartSerializer


class JobPagination(CursorPagination):
    ordering = "-created_at"


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background jobs the user started (all of them for an administrator): status and
    progress, for a progress bar."""

    serializer_class = JobSerializer
    pagination_class = JobPagination
    filter_backends = []
    queryset = Job.objects.none()  # for the schema; reads go through the selector

    def get_queryset(self):
        return selectors.job_list(user=self.request.user)

    @extend_schema(request=JobStartSerializer, responses={202: JobSerializer})
    def create(self, request):
        """Start a maintenance job (administrators)."""
        if not is_admin(request.user):
            raise PermissionDeniedError()
        serializer = JobStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.start_job(kind=serializer.validated_data["kind"], actor=request.user)
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
