"""Imports and exports of customers. Files live in the database (no local file another web
process would need) and are deleted after TRANSFER_KEEP_DAYS by a periodic task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportMode(models.TextChoices):
    CREATE = "create", _("create new customers")
    UPDATE = "update", _("update existing customers")
    UPSERT = "upsert", _("update existing, create the others")


class ImportKey(models.TextChoices):
    EXTERNAL_ID = "external_id", _("external id")
    CREDIT_CODE = "credit_code", _("unified social credit code")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")


class TransferStatus(models.TextChoices):
    UPLOADED = "uploaded", _("waiting for the column mapping")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class Import(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    language = models.CharField(max_length=10, blank=True)
    filename = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    sample = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)

    # Chosen on the mapping page.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=ImportMode.choices, default=ImportMode.CREATE
    )
    key = models.CharField(_("matched by"), max_length=20, choices=ImportKey.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=True)

    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.UPLOADED
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The checkpoint: data rows handled so far, committed with each batch's rows.
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # The first rows of each outcome, for the dry run's report.
    preview = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["created_by", "-id"], name="import_by_user"),
            models.Index(fields=["created_at"], name="import_created"),
        ]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int | None:
        if self.status == TransferStatus.DONE:
            return 100
        if not self.total_rows:
            return None
        return min(100, int(self.rows_done * 100 / self.total_rows))

    @property
    def finished(self) -> bool:
        return self.status in (TransferStatus.DONE, TransferStatus.FAILED)


class ImportFile(models.Model):
    """The uploaded file of an import, in a row of its own: the import's row is updated after
    every batch, and SQLite writes a row whole, so a file kept in it was written again each
    time (120 MB per batch for a million-row CSV)."""

    import_run = models.OneToOneField(
        Import, on_delete=models.CASCADE, primary_key=True, related_name="file"
    )
    content = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return str(self.import_run_id)


class ImportRowError(models.Model):
    """A row that was not imported: where (row number in the file, column) and why."""

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    message = models.TextField(_("error"))
    values = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["import_run", "row_number", "id"], name="import_error_row")]
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")

    def __str__(self) -> str:
        return f"{self.row_number}: {self.message}"


class Export(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    language = models.CharField(max_length=10, blank=True)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    # The customer list's query string (its filters and search) or the ticked ids.
    filters = models.CharField(_("filters"), max_length=2000, blank=True)
    ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.QUEUED
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    content = models.BinaryField(editable=False, default=b"")
    size = models.PositiveBigIntegerField(_("size"), default=0)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["created_by", "-id"], name="export_by_user"),
            models.Index(fields=["created_at"], name="export_created"),
        ]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return self.filename or f"export {self.pk}"

    @property
    def percent(self) -> int | None:
        if self.status == TransferStatus.DONE:
            return 100
        if not self.total_rows:
            return None
        return min(100, int(self.rows_done * 100 / self.total_rows))

    @property
    def finished(self) -> bool:
        return self.status in (TransferStatus.DONE, TransferStatus.FAILED)
