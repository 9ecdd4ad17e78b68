"""Reports as CSV or XLSX, safe to open in a spreadsheet.

Every cell goes through the one escaping rule of the exports (guanxi.transfer.escaping,
DESIGN.md): a text that begins with "=", "+", "-", "@", a tab or a carriage return gets a leading
apostrophe, so a spreadsheet shows it as text instead of running it. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from guanxi.transfer.escaping import safe_cell, xlsx_row


def _sheets(charts: Iterable[dict]) -> list[tuple[str, list[str], list[list[Any]]]]:
    return [(c["title"], c["table"]["columns"], c["table"]["rows"]) for c in charts]


def to_csv(charts: Iterable[dict], about: Iterable[tuple[str, Any]] = ()) -> bytes:
    """What the report covers (`about`: label and value, e.g. its team and period), then all
    tables one after the other, each under its title; UTF-8 with a BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    about = list(about)
    for label, value in about:
        writer.writerow([safe_cell(label), safe_cell(value)])
    for i, (title, columns, rows) in enumerate(_sheets(charts)):
        if i or about:
            writer.writerow([])
        writer.writerow([safe_cell(title)])
        writer.writerow([safe_cell(c) for c in columns])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    charts: Iterable[dict], about: Iterable[tuple[str, Any]] = (), about_title: str = ""
) -> bytes:
    """What the report covers (`about`) on a first worksheet, then one worksheet per chart."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    about = list(about)
    if about:
        name = "".join(ch for ch in about_title if ch not in "[]:*?/\\")[:28] or "About"
        used.add(name)
        sheet = book.create_sheet(name)
        for label, value in about:
            sheet.append(xlsx_row(sheet, [label, value]))
    for title, columns, rows in _sheets(charts):
        name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
        base, n = name, 2
        while name in used:
            name, n = f"{base[:25]}_{n}", n + 1
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append(xlsx_row(sheet, columns))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
