import io

import pytest


@pytest.fixture
def csv_bytes():
    """CSV content from rows of cells, in an encoding (BOM included for utf-8-sig)."""

    def make(rows, encoding="utf-8"):
        import csv

        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode(encoding)

    return make


@pytest.fixture
def xlsx_bytes():
    def make(rows):
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return make


@pytest.fixture
def run_import(db, django_capture_on_commit_callbacks):
    """Upload rows and run the import (HUEY is immediate in tests: the job runs on commit)."""
    from django.test.utils import CaptureQueriesContext  # noqa: F401

    from guanxi.transfer import services
    from guanxi.transfer.models import Import

    def run(user, content, *, filename="customers.csv", mapping=None, mode="create", key="",
            kind="person", dry_run=False, language="en"):  # fmt: skip
        from guanxi.transfer.mapping import suggest

        imp = services.upload_import(
            actor=user, filename=filename, content=content, language=language
        )
        if mapping is None:  # what the mapping page suggests (custom fields included)
            mapping = suggest(imp.headers, list(services.active_definitions().values()))
        with django_capture_on_commit_callbacks(execute=True):
            services.start_import(
                actor=user,
                imp=imp,
                mapping=mapping,
                mode=mode,
                key=key,
                kind=kind,
                dry_run=dry_run,
            )
        return Import.objects.get(pk=imp.pk)

    return run


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English (the source text); one test checks the Chinese."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
