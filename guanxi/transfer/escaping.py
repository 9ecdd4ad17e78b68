"""Cells that are safe to open in a spreadsheet: no formula injection (CSV and XLSX)."""

from __future__ import annotations

import re
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


def xlsx_cell(value: Any) -> Any:
    """safe_cell, without the control characters an XLSX cannot store."""
    value = safe_cell(value)
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(FORMULA_STARTS):  # a control character hid the formula sign
            value = "'" + value
    return value
