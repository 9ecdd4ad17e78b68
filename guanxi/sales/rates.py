"""Exchange rates: what an amount in another currency is worth in the base currency
(settings.DEFAULT_CURRENCY). Revenue, customers' spend and profit add amounts in the base
currency only; an order is valued at the rate of its day, a cost at today's rate (profit uses
the products' current costs)."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import ExchangeRate

CENT = Decimal("0.01")


def rates_of(currency: str) -> list[tuple[dt.date, Decimal]]:
    return list(
        ExchangeRate.objects.filter(currency=currency)
        .order_by("valid_from")
        .values_list("valid_from", "rate")
    )


def rate_from(rates: list[tuple[dt.date, Decimal]], day: dt.date) -> Decimal | None:
    """The rate of `day` among a currency's rates (sorted by day): the latest from that day or
    before; before the first, the first (an order is never left unvalued once a rate exists)."""
    if not rates:
        return None
    at = bisect.bisect_right([valid_from for valid_from, _rate in rates], day)
    return rates[max(at - 1, 0)][1]


def rate_on(currency: str, day: dt.date) -> Decimal | None:
    """What one unit of `currency` is worth in the base currency on `day`: 1 for the base
    currency itself, None for a currency without any rate."""
    if currency == settings.DEFAULT_CURRENCY:
        return Decimal("1")
    return rate_from(rates_of(currency), day)


def in_base(amount: Decimal, rate: Decimal | None) -> Decimal | None:
    """An amount in the base currency, to the cent."""
    if rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_case_sql(column: str) -> tuple[str, list[Any]]:
    """An SQL expression for today's rate of the currency in `column` (NULL for a currency
    without any rate), and its parameters."""
    today = timezone.localdate()
    whens, params = [], []
    for currency in (
        ExchangeRate.objects.order_by("currency").values_list("currency", flat=True).distinct()
    ):
        rate = rate_on(currency, today)
        whens.append("WHEN %s THEN %s")
        params += [currency, rate]
    return (
        f"CASE {column} WHEN %s THEN 1 {' '.join(whens)} ELSE NULL END",
        [settings.DEFAULT_CURRENCY, *params],
    )
