import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.customers.models import CustomerKind
from guanxi.transfer.models import (
    Export,
    FileFormat,
    Import,
    ImportKey,
    ImportMode,
    ImportRowError,
)
from guanxi.transfer.services import IMPORT_KIND_CHOICES


class ImportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Import
        fields = [
            "id", "filename", "file_format", "encoding", "size", "headers", "total_rows",
            "mapping", "mode", "key", "kind", "dry_run", "status", "rows_done", "percent",
            "created_count", "updated_count", "skipped_count", "error_count", "preview",
            "message", "created_at", "finished_at", "job",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.Field):
    """A JSON object, given as an object (JSON body) or as a JSON text (a multipart field)."""

    default_error_messages = {"invalid": _("Enter a JSON object that maps columns to fields.")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ImportOptionsSerializer(serializers.Serializer):
    mapping = JSONObjectField(
        required=False,
        help_text=_("{column name or index: field}; without it, the suggested mapping."),
    )
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.CREATE)
    key = serializers.ChoiceField(choices=ImportKey.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=IMPORT_KIND_CHOICES,
        default=CustomerKind.PERSON,
    )
    dry_run = serializers.BooleanField(default=False)


class ImportCreateSerializer(ImportOptionsSerializer):
    file = serializers.FileField(max_length=200)

    def validate_file(self, value):
        if value.size > settings.IMPORT_MAX_FILE_SIZE:
            raise serializers.ValidationError(
                _("The file is too big: at most %(limit)s MB.")
                % {"limit": f"{settings.IMPORT_MAX_FILE_SIZE / 2**20:g}"}
            )
        return value


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["id", "row_number", "column", "message", "values"]
        read_only_fields = fields


class ExportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Export
        fields = [
            "id", "file_format", "filters", "ids", "status", "total_rows", "rows_done",
            "percent", "filename", "size", "message", "created_at", "finished_at", "job",
        ]  # fmt: skip
        read_only_fields = fields


class ExportCreateSerializer(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=FileFormat.choices, default=FileFormat.CSV)
    filters = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("The customer list's query string, e.g. grade=vip&q=北京."),
    )
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=10_000,
    )
