"""Keyset pagination for the workspace's lists: fast at any depth, never a COUNT.

A page is found from the sort value and the id of the row it starts after (or before), not from
an offset, so page 40 000 of a million rows costs what page 1 costs, and a row inserted or
deleted meanwhile neither repeats nor skips a row. The id breaks ties, so rows with the same
sort value (same name, same amount) are neither shown twice nor missed.

Each query is a range on an index over (sort column, id) — the list's indexes are built that
way — walked in one direction. NULLs sit where the database puts them by itself (first in
ascending order on SQLite, last on PostgreSQL), so the index is still usable; a page that
crosses from the non-NULL rows to the NULL ones costs a second query.

Usage::

    page = keyset.paginate(queryset, sort="-updated_at", cursor=request.GET.get("cursor"))
    page.rows, page.next_cursor, page.previous_cursor

A cursor that cannot be read (edited by hand, made for another sort) raises InvalidCursor; the
page should then show the first page with a message.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import F, Model, Q, QuerySet

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200


class InvalidCursor(ValueError):
    """The cursor in the URL cannot be read or does not belong to this list and sort."""


@dataclass
class Page:
    rows: list[Any]
    sort: str
    next_cursor: str | None = None
    previous_cursor: str | None = None
    per_page: int = DEFAULT_PER_PAGE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _nulls_low() -> bool:
    """Whether the database sorts NULL before every value in ascending order."""
    return connection.vendor != "postgresql"


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(sort: str, direction: str, value: Any, pk: int) -> str:
    raw = json.dumps([sort, direction, _encode_value(value), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model: type[Model], sort: str, cursor: str) -> tuple[str, Any, int]:
    """(direction "n" or "p", sort value, id) from a cursor made by encode_cursor for `sort`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        c_sort, direction, raw, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if c_sort != sort or direction not in ("n", "p") or type(pk) is not int:
            raise InvalidCursor(cursor)
        name = sort.lstrip("-")
        value = None if raw is None else model._meta.get_field(name).to_python(raw)
        if name in ("id", "pk"):
            value = pk
    except (ValueError, TypeError, ValidationError, FieldDoesNotExist) as error:
        raise InvalidCursor(cursor) from error
    return direction, value, pk


def _after(name: str, desc: bool, value: Any, pk: int | None) -> Q:
    """Rows that come after (value, pk) among non-NULL values, in (name, id) order."""
    cmp = "lt" if desc else "gt"
    if pk is None:
        return Q()
    if name == "id":
        return Q(**{f"id__{cmp}": pk})
    # The first condition is a plain range, so the database seeks in the index from there.
    return Q(**{f"{name}__{cmp}e": value}) & (
        Q(**{f"{name}__{cmp}": value}) | Q(**{name: value, f"id__{cmp}": pk})
    )


def _fetch(
    qs: QuerySet, name: str, nullable: bool, desc: bool, key: tuple[Any, int] | None, limit: int
) -> list[Any]:
    """Up to `limit` rows strictly after `key` (None: from the start), ordered by name then id,
    descending when `desc`, with NULLs where the database sorts them."""
    order = [F(name).desc() if desc else F(name).asc(), "-id" if desc else "id"]
    id_order = "-id" if desc else "id"
    if not nullable:
        value, pk = key if key else (None, None)
        return list(qs.filter(_after(name, desc, value, pk)).order_by(*order)[:limit])

    nulls_at_end = _nulls_low() == desc
    id_cmp = "lt" if desc else "gt"

    def non_null(after: tuple[Any, int] | None) -> QuerySet:
        q = Q(**{f"{name}__isnull": False})
        if after is not None:
            q &= _after(name, desc, after[0], after[1])
        return qs.filter(q).order_by(*order)

    def nulls(after_id: int | None) -> QuerySet:
        q = Q(**{f"{name}__isnull": True})
        if after_id is not None:
            q &= Q(**{f"id__{id_cmp}": after_id})
        return qs.filter(q).order_by(id_order)

    if key is None:
        segments = [non_null(None), nulls(None)] if nulls_at_end else [nulls(None), non_null(None)]
    elif key[0] is None:
        segments = [nulls(key[1])] + ([] if nulls_at_end else [non_null(None)])
    else:
        segments = [non_null(key)] + ([nulls(None)] if nulls_at_end else [])
    rows: list[Any] = []
    for segment in segments:
        rows += list(segment[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def _value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _pk(row: Any) -> int:
    return row["id"] if isinstance(row, dict) else row.pk


def paginate(
    qs: QuerySet,
    *,
    sort: str,
    cursor: str | None = None,
    per_page: int = DEFAULT_PER_PAGE,
) -> Page:
    """One page of `qs` ordered by `sort` ("field" or "-field"; the model's field, best with an
    index on (field, id)), starting after or before the row that `cursor` names."""
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    desc = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "pk":
        name = "id"
    model = qs.model
    try:
        nullable = name != "id" and model._meta.get_field(name).null
    except FieldDoesNotExist as error:
        raise ValueError(f"{model.__name__} has no field {name!r} to sort on") from error

    def cursor_for(direction: str, row: Any) -> str:
        return encode_cursor(sort, direction, _value(row, name), _pk(row))

    def first_page() -> Page:
        rows = _fetch(qs, name, nullable, desc, None, per_page + 1)
        page = Page(rows=rows[:per_page], sort=sort, per_page=per_page)
        if len(rows) > per_page:
            page.next_cursor = cursor_for("n", rows[per_page - 1])
        return page

    if not cursor:
        return first_page()
    direction, value, pk = decode_cursor(model, sort, cursor)
    key = (value, pk)
    if direction == "n":
        rows = _fetch(qs, name, nullable, desc, key, per_page + 1)
        page = Page(rows=rows[:per_page], sort=sort, per_page=per_page)
        if len(rows) > per_page:
            page.next_cursor = cursor_for("n", rows[per_page - 1])
        if page.rows:
            page.previous_cursor = cursor_for("p", page.rows[0])
        return page
    # Backwards: walk the reversed order from the key, then turn the rows round.
    rows = _fetch(qs, name, nullable, not desc, key, per_page + 1)
    if len(rows) <= per_page:
        return first_page()  # reached the start: show a full first page
    page_rows = list(reversed(rows[:per_page]))
    return Page(
        rows=page_rows,
        sort=sort,
        per_page=per_page,
        next_cursor=cursor_for("n", page_rows[-1]),
        previous_cursor=cursor_for("p", page_rows[0]),
    )


@dataclass
class WebPage:
    """A page for a web list: its rows, links to the pages beside it (the request's other
    parameters kept), and whether an unreadable cursor sent the user back to the first page."""

    page: Page
    next_url: str | None
    previous_url: str | None
    reset: bool

    @property
    def rows(self) -> list[Any]:
        return self.page.rows


def paginate_request(
    request: Any, queryset: QuerySet, *, sort: str, per_page: int = DEFAULT_PER_PAGE
) -> WebPage:
    """`paginate` for a list page: the cursor from `?cursor=`, and an unreadable one falls
    back to the first page (`reset` tells the view to say so)."""
    reset = False
    try:
        page = paginate(queryset, sort=sort, cursor=request.GET.get("cursor"), per_page=per_page)
    except InvalidCursor:
        page = paginate(queryset, sort=sort, per_page=per_page)
        reset = True

    def link(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        params = request.GET.copy()
        params["cursor"] = cursor
        return "?" + params.urlencode()

    return WebPage(page, link(page.next_cursor), link(page.previous_cursor), reset)
