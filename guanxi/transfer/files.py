"""Reading uploaded tables (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; XLSX) and refusing
files that are not what their name says, too big, or that would unpack to gigabytes."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import FileFormat

ZIP_MAGIC = b"PK\x03\x04"
# Old Excel (.xls, OLE2) and a few binaries people rename to .csv.
BINARY_MAGICS = (b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b")
SNIFF_BYTES = 64 * 1024
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def file_format(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return FileFormat.CSV
    if name.endswith(".xlsx"):
        return FileFormat.XLSX
    raise _error(_("Upload a CSV file or an Excel workbook (.xlsx)."))


def check_size(size: int) -> None:
    if size == 0:
        raise _error(_("The file is empty."))
    limit = settings.IMPORT_MAX_FILE_SIZE
    if size > limit:
        raise _error(
            _("The file is too big: at most %(limit)s MB.") % {"limit": f"{limit / 2**20:g}"}
        )


# --- CSV --------------------------------------------------------------------------------------


def detect_encoding(content: bytes) -> str:
    """utf-8-sig (a BOM), utf-8, or gb18030 (a superset of GBK: Excel's "CSV" on Chinese
    Windows); a file that is none of these is refused."""
    head = content[:SNIFF_BYTES]
    if content.startswith(ZIP_MAGIC):
        raise _error(_("This file is an Excel workbook or another archive, not a CSV file."))
    if content.startswith(BINARY_MAGICS) or b"\x00" in head:
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _error(_("This file is in UTF-16; save it as CSV in UTF-8 or GBK."))
        raise _error(_("This file is not a text (CSV) file."))
    encoding = "utf-8-sig" if content.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        content.decode(encoding)
        return encoding
    except UnicodeDecodeError:
        pass
    wrong = _("The file's text encoding is not UTF-8 nor GBK; save it as CSV in UTF-8.")
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise _error(wrong) from None
    if PRIVATE_USE.search(text):
        # GBK's user-defined areas: no list of customers holds them, but another encoding
        # read as GBK does (Big5, of Taiwan and Hong Kong, decodes without an error into them).
        raise _error(wrong)
    return "gb18030"


DELIMITERS = (",", ";", "\t", "|")


class _Dialect(csv.excel):
    """Excel's CSV (double quotes, a quote inside a quoted cell doubled) with the delimiter of
    the file."""


def _dialect(text: str, truncated: bool = False) -> type[csv.Dialect]:
    """The delimiter that splits the header and most lines of the sample into the same number
    (two or more) of cells; a comma when none does (a file of one column). Quotes are always
    double quotes, as every spreadsheet writes them: csv.Sniffer took the apostrophe of
    '+86 138… (the formula guard of an export) or of O'Neil for a quote character and cut
    cells apart, and said a doubled quote was none when its sample held no such cell."""
    lines = text.splitlines(keepends=True)
    if truncated and len(lines) > 1:
        lines = lines[:-1]  # the sample may end in the middle of a line
    sample = "".join(lines[:200])
    best: tuple[int, int] = (0, 0)
    chosen = ","
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            widths = [
                len(row)
                for row in csv.reader(io.StringIO(sample), _Dialect, delimiter=delimiter)
                if row
            ]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), -rank)
        if score > best:
            best, chosen = score, delimiter
    return type("FileDialect", (_Dialect,), {"delimiter": chosen})


def _csv_rows(content: bytes, encoding: str) -> Iterator[list[str]]:
    # Decoded as it is read, not as one string: a 100 MB file stays 100 MB in memory.
    head = content[:SNIFF_BYTES].decode(encoding, errors="ignore")
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    reader = csv.reader(text, _dialect(head, truncated=len(content) > SNIFF_BYTES))
    try:
        yield from reader
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            # Python's English message; the line is the one the reader stopped in.
            raise _error(
                _(
                    "Line %(line)d of the file has a cell of more than %(limit)s characters, "
                    "more than any field holds."
                )
                % {"line": reader.line_num, "limit": f"{csv.field_size_limit():,}"}
            ) from None
        raise _error(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


# --- XLSX -------------------------------------------------------------------------------------


def check_xlsx(content: bytes) -> None:
    """A real XLSX (a zip with a workbook inside) whose declared unpacked size and compression
    ratios are reasonable: checked before openpyxl opens anything."""
    if not content.startswith(ZIP_MAGIC):
        raise _error(_("This file is not an Excel workbook (.xlsx), whatever its name says."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _error(_("This Excel workbook is damaged and cannot be read.")) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise _error(_("This file is not an Excel workbook (.xlsx), whatever its name says."))
    if len(infos) > 10_000:
        raise _error(_("This Excel workbook has too many parts."))
    total = sum(i.file_size for i in infos)
    if total > settings.IMPORT_MAX_UNPACKED_SIZE:
        raise _error(
            _("This Excel workbook would unpack to %(size)s MB; at most %(limit)s MB is accepted.")
            % {
                "size": f"{total / 2**20:.0f}",
                "limit": f"{settings.IMPORT_MAX_UNPACKED_SIZE / 2**20:g}",
            }
        )
    for info in infos:
        if (
            info.file_size > 2**20
            and info.file_size > info.compress_size * settings.IMPORT_MAX_RATIO
        ):
            raise _error(
                _("This Excel workbook is compressed suspiciously well (a “zip bomb”); refused.")
            )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # a phone number typed as a number
    if isinstance(value, float) and math.isfinite(value):
        # As the cell shows it, never with an exponent (Python writes 0.000001 as 1e-06,
        # which no number field reads).
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise _error(_("This Excel workbook is damaged and cannot be read.")) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode stops at the size the sheet declares (<dimension>), which some
        # programs write wrongly: rows and columns past it would be dropped without a word.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        workbook.close()


# --- both -------------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[list[str]]  # data rows, after the header
    first_row_number: int = 2  # the file's row number of the first data row


def _clean_cell(value: str | None) -> str:
    """A cell's text without spaces at the ends and without NUL characters (a CSV may hold
    them; no field can, and PostgreSQL cannot store them)."""
    return (value or "").replace("\x00", "").strip()


def open_table(content: bytes, fmt: str, encoding: str = "") -> Table:
    """The header and an iterator over the data rows. Blank lines before the header are
    skipped; cells are stripped; a row is padded or cut to the header's width."""
    if fmt == FileFormat.XLSX:
        rows = _xlsx_rows(content)
    else:
        rows = _csv_rows(content, encoding or detect_encoding(content))
    headers: list[str] | None = None
    skipped = 0
    for row in rows:
        if any(_clean_cell(c) for c in row):
            headers = [_clean_cell(c) for c in row]
            break
        skipped += 1
    if headers is None:
        raise _error(_("The file is empty."))
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > settings.IMPORT_MAX_COLUMNS:
        raise _error(
            _("The file has %(n)d columns; at most %(limit)d are accepted.")
            % {"n": len(headers), "limit": settings.IMPORT_MAX_COLUMNS}
        )
    width = len(headers)

    def data() -> Iterator[list[str]]:
        for row in rows:
            cells = [_clean_cell(c) for c in row[:width]]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield cells

    return Table(headers, data(), first_row_number=skipped + 2)


def inspect(*, filename: str, content: bytes) -> dict:
    """Check an upload and describe it: format, encoding, headers, the first rows and the row
    count. Raises ValidationError({"file": message}) for anything unreadable or too big."""
    check_size(len(content))
    fmt = file_format(filename)
    encoding = ""
    if fmt == FileFormat.XLSX:
        check_xlsx(content)
    else:
        encoding = detect_encoding(content)
    table = open_table(content, fmt, encoding)
    if not any(table.headers):
        raise _error(_("The first row must hold the column names."))
    seen: set[str] = set()
    for header in table.headers:
        if header and header in seen:
            raise _error(_("The column “%(name)s” appears twice.") % {"name": header})
        seen.add(header)
    sample: list[list[str]] = []
    count = 0
    limit = settings.IMPORT_MAX_ROWS
    filled = 0
    for row in table.rows:
        count += 1  # blank rows count too: the checkpoint counts every data row
        if count > limit:
            raise _error(_("The file has more than %(limit)d rows.") % {"limit": limit})
        if not any(row):
            continue
        filled += 1
        if len(sample) < 5:
            sample.append(row)
    if filled == 0:
        raise _error(_("The file has a header but no rows."))
    return {
        "file_format": fmt,
        "encoding": encoding,
        "headers": table.headers,
        "sample": sample,
        "total_rows": count,
    }
