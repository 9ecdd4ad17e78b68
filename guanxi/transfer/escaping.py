"""Cells that are safe to open in a spreadsheet: no formula injection (CSV and XLSX)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# A cell that begins with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters that XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_cell(value: Any) -> Any:
    """The value as a cell that is shown as text, never run: a text beginning with =, +, -,
    @, a tab or a carriage return gets a leading apostrophe (the OWASP advice)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS):
            return "'" + value
        return value
    return value


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row of cells for `sheet.append`: numbers as numbers, everything else as text. A text
    that begins like a formula (=, +, -, @, tab, carriage return) is written as it is, but as a
    text cell with Excel's "quote prefix" style: shown and kept as text, also after a user
    edits the cell, and never run. (A literal apostrophe, as in a CSV, would show in Excel and
    travel into every value a user copies: "'+86 138…".)"""
    from openpyxl.cell import Cell, WriteOnlyCell

    out: list[Any] = []
    for value in values:
        if value is None:
            out.append("")
        elif isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            text = _ILLEGAL.sub("", str(value))
            if text.startswith(FORMULA_STARTS):
                make = WriteOnlyCell if sheet.parent.write_only else Cell
                cell = make(sheet, value=text)
                cell.data_type = "s"  # openpyxl would take "=..." for a formula
                cell.quotePrefix = True
                out.append(cell)
            else:
                out.append(text)
        else:
            out.append(float(value) if isinstance(value, Decimal) else value)
    return out
