from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from guanxi.core.api.parsers import LimitedJSONParser, RequestTooLarge
from guanxi.core.errors import PermissionDeniedError
from guanxi.transfer import mapping, selectors, services, writers
from guanxi.transfer.models import Export, Import, TransferStatus

from .serializers import (
    ExportCreateSerializer,
    ExportSerializer,
    ImportCreateSerializer,
    ImportOptionsSerializer,
    ImportRowErrorSerializer,
    ImportSerializer,
)

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LimitedMultiPartParser(MultiPartParser):
    """Multipart uploads, refused above IMPORT_MAX_FILE_SIZE (plus room for the other fields)
    before the body is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            length = 0
        if length > settings.IMPORT_MAX_FILE_SIZE + 64 * 1024:
            limit = f"{settings.IMPORT_MAX_FILE_SIZE / 2**20:g}"
            raise RequestTooLarge(
                {"file": [_("The file is too big: at most %(limit)s MB.") % {"limit": limit}]}
            )
        return super().parse(stream, media_type, parser_context)


class NewestFirst(CursorPagination):
    ordering = "-id"


class ByRow(CursorPagination):
    ordering = ("row_number", "id")
    page_size = 100


def _download(content, filename, content_type):
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of customers from CSV or XLSX: upload with the mapping, mode and key (a dry run
    changes nothing); then the status, counts and error rows. Only the user's own imports."""

    serializer_class = ImportSerializer
    pagination_class = NewestFirst
    filter_backends = []
    parser_classes = [LimitedMultiPartParser, LimitedJSONParser]
    queryset = Import.objects.none()

    def get_queryset(self):
        return selectors.import_list(user=self.request.user)

    def _start(self, request, imp, options):
        data = options.validated_data
        suggested = mapping.suggest(imp.headers, list(services.active_definitions().values()))
        return services.start_import(
            actor=request.user,
            imp=imp,
            mapping=data.get("mapping", suggested),
            mode=data["mode"],
            key=data.get("key", ""),
            kind=data["kind"],
            dry_run=data["dry_run"],
        )

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer}, responses={202: ImportSerializer}
    )
    def create(self, request):
        """Upload a file and start its import (or dry run) as a background job."""
        if not services.may_import(request.user):
            raise PermissionDeniedError()
        body = ImportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        imp = services.upload_import(
            actor=request.user,
            filename=upload.name,
            content=upload.read(),
            language=get_language() or "",
        )
        imp = self._start(request, imp, body)
        return Response(
            ImportSerializer(selectors.import_get(user=request.user, pk=imp.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=ImportOptionsSerializer, responses={202: ImportSerializer})
    @action(detail=True, methods=["post"], parser_classes=[LimitedJSONParser])
    def start(self, request, pk=None):
        """Run an uploaded file again with other options, e.g. for real after a dry run."""
        imp = self.get_object()
        body = ImportOptionsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "mapping" not in body.validated_data and imp.mapping:
            body.validated_data["mapping"] = imp.mapping
        self._start(request, imp, body)
        return Response(
            ImportSerializer(self.get_queryset().get(pk=imp.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(responses=ImportRowErrorSerializer(many=True))
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """The rows that were not imported: row number, column and message, 100 a page."""
        imp = self.get_object()
        qs = selectors.import_errors(user=request.user, imp=imp)
        paginator = ByRow()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ImportRowErrorSerializer(page, many=True).data)

    @extend_schema(responses={(200, "text/csv"): bytes})
    @action(detail=True, methods=["get"], url_path="error-file")
    def error_file(self, request, pk=None):
        """The rows with errors as a CSV file: the original row and an error column."""
        imp = self.get_object()
        content = writers.error_file(imp, selectors.import_errors(user=request.user, imp=imp))
        return _download(content, f"import-{imp.pk}-errors.csv", CSV)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exports of customers (what a customer-list query selects, or given ids) to CSV or XLSX,
    as the user sees them: their visibility and masking. Only the user's own exports."""

    serializer_class = ExportSerializer
    pagination_class = NewestFirst
    filter_backends = []
    queryset = Export.objects.none()

    def get_queryset(self):
        return selectors.export_list(user=self.request.user)

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportSerializer})
    def create(self, request):
        body = ExportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        export = services.start_export(
            actor=request.user,
            file_format=data["file_format"],
            filters=data.get("filters", ""),
            ids=data.get("ids"),
            language=get_language() or "",
        )
        return Response(
            ExportSerializer(self.get_queryset().get(pk=export.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The exported file, once the export is done."""
        try:
            export = selectors.export_with_file(user=request.user, pk=pk)
        except Export.DoesNotExist:
            raise NotFound from None
        if export.status != TransferStatus.DONE or export.file_deleted:
            raise NotFound
        return _download(
            export.content, export.filename, XLSX if export.file_format == "xlsx" else CSV
        )
