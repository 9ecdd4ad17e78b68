"""Writing exported customers to CSV (UTF-8 with a BOM, so that Excel reads Chinese) and XLSX
(openpyxl's write-only mode), with contact details masked as the user must see them and every
cell safe against formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import bulk
from guanxi.customers.countries import country_name
from guanxi.customers.masking import present
from guanxi.customers.models import Address, ContactPointKind, Customer, CustomFieldDefinition

from .escaping import safe_cell, xlsx_row
from .mapping import VALUE_SEPARATOR, custom_cell, custom_headers
from .models import FileFormat

SEPARATOR = VALUE_SEPARATOR
# Contact points written to the file, each kind in its column (the import reads them back).
EXPORTED_POINTS = (
    ContactPointKind.MOBILE,
    ContactPointKind.PHONE,
    ContactPointKind.EMAIL,
    ContactPointKind.WECHAT,
    ContactPointKind.QQ,
    ContactPointKind.WEBSITE,
)


def header_row(definitions: list[CustomFieldDefinition] = ()) -> list[str]:
    """The column names in the user's language, then one column per custom field in use
    (`definitions`: the active ones, in their order), named by its label."""
    builtin = [
        _("Number"), _("Kind"), _("Name"), _("Legal name"), _("Short name"), _("Aliases"),
        _("External id"), _("Unified social credit code"), _("Mobile"), _("Phone"), _("E-mail"),
        _("WeChat"), _("QQ"), _("Website"),
        _("Country or region"), _("Province"), _("City"), _("District"), _("Street address"),
        _("Postcode"), _("Gender"), _("Birthday"), _("Occupation"), _("Industry"), _("Region"),
        _("Source"), _("Grade"), _("Status"), _("Lifecycle stage"), _("Value tier"), _("Tags"),
        _("Owner"), _("Team"),
        _("Orders"), _("Total spent"), _("Last purchase"), _("Created"), _("Last updated"),
        _("Version"), _("Notes"),
    ]  # fmt: skip
    return [*builtin, *custom_headers(list(definitions), builtin)]


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def customer_row(user, c: Customer, definitions: list[CustomFieldDefinition] = ()) -> list[Any]:
    """One customer as the user may see it: phones, e-mails, WeChat, QQ, websites and the
    street masked for a role without `can_view_contact_details` (customers/masking.py, the
    same as on every page). Several mobiles (phones, e-mails, aliases, WeChat ids...) share
    their column, separated by "; ", which the import splits again: a file exported, edited and
    imported back changes only what was edited. Custom fields follow, one column each, written
    so that the import reads back the same value (mapping.custom_cell)."""
    points = c.export_points
    custom = c.custom_fields or {}

    def joined(kind: str) -> str:
        return SEPARATOR.join(present(user, kind, p.value) for p in points if p.kind == kind)

    address = c.export_addresses[0] if c.export_addresses else None
    country = country_name(address.country) if address is not None else ""
    address = address or Address()
    return [
        c.pk, c.get_kind_display(), c.display_name, c.legal_name, c.short_name,
        SEPARATOR.join(c.aliases or []), c.external_id, c.credit_code,
        joined(ContactPointKind.MOBILE), joined(ContactPointKind.PHONE),
        joined(ContactPointKind.EMAIL), joined(ContactPointKind.WECHAT),
        joined(ContactPointKind.QQ), joined(ContactPointKind.WEBSITE),
        country, address.province, address.city, address.district,
        present(user, "street", address.street), address.postcode, c.get_gender_display(),
        c.birthday.isoformat() if c.birthday else "", c.occupation, c.industry, c.region,
        c.source, c.get_grade_display(), c.get_status_display(), c.get_lifecycle_stage_display(),
        c.get_value_tier_display(), ", ".join(t.name for t in c.tags.all()),
        c.owner.username if c.owner_id else "", c.team.name if c.team_id else "",
        c.order_count, c.total_spent, _local(c.last_purchase_at), _local(c.created_at),
        _local(c.updated_at), c.version, c.notes,
        *(custom_cell(d, custom.get(d.key)) for d in definitions),
    ]  # fmt: skip


def batches(qs: QuerySet[Customer], size: int) -> Iterator[list[Customer]]:
    """The customers in id order, `size` at a time (keyset: each batch is an index range), with
    their contact points, addresses, tags, owner and team in five queries per batch (aliases
    and custom field values are columns of the customer's own row)."""
    base = (
        qs.order_by("pk")
        .select_related("owner", "team")
        .prefetch_related(
            Prefetch(
                "contact_points",
                queryset=_points_qs(),
                to_attr="export_points",
            ),
            Prefetch(
                "addresses",
                queryset=Address.objects.order_by("-is_primary", "id"),
                to_attr="export_addresses",
            ),
            "tags",
        )
    )
    yield from bulk.keyset_batches(base, size)


def _points_qs():
    from guanxi.customers.models import ContactPoint

    return ContactPoint.objects.filter(kind__in=EXPORTED_POINTS).order_by("-is_primary", "id")


class CsvWriter:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def header(self, cells: list[str]) -> None:
        self.row(cells)

    def row(self, cells: list[Any]) -> None:
        self.writer.writerow([safe_cell(c) for c in cells])

    def finish(self) -> bytes:
        return self.buffer.getvalue().encode("utf-8-sig")


class XlsxWriter:
    def __init__(self) -> None:
        from openpyxl import Workbook

        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(_("Customers")[:31])

    def header(self, cells: list[str]) -> None:
        self.row(cells)

    def row(self, cells: list[Any]) -> None:
        self.sheet.append(xlsx_row(self.sheet, cells))

    def finish(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def writer_for(file_format: str) -> CsvWriter | XlsxWriter:
    return XlsxWriter() if file_format == FileFormat.XLSX else CsvWriter()


def error_file(imp, errors) -> bytes:
    """The rows that were not imported, as they were in the file, with a column that says
    why (and the row number): fix them there and import that file again."""
    writer = CsvWriter()
    writer.header([_("Row"), *imp.headers, _("Error")])
    current: list[Any] | None = None
    messages: list[str] = []
    number = None
    for error in errors:
        if error.row_number != number:
            if current is not None:
                writer.row([*current, " ".join(messages)])
            number = error.row_number
            current = [number, *error.values]
            messages = []
        text = f"{error.column}: {error.message}" if error.column else error.message
        messages.append(text)
    if current is not None:
        writer.row([*current, " ".join(messages)])
    return writer.finish()
