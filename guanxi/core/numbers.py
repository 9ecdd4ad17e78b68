"""Numbers as people read them."""

from __future__ import annotations

from decimal import Decimal


def plain_decimal(value: Decimal) -> str:
    """A Decimal without trailing zeros or an exponent: 7.10000000 as "7.1", 100.00 as "100"
    (str() of a normalised Decimal would give "1E+2")."""
    return format(value.normalize(), "f")
