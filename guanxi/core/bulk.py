"""Bulk inserts for writers of many rows (the demo seeder, imports): executemany on SQLite, COPY
on PostgreSQL. Django's bulk_create spends most of its time preparing each value of each row;
these helpers prepare a column once (the database's own adapters, as the ORM uses them) and
hand the rows to the driver."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

Convert = Callable[[Any], Any]


def table_columns(model: Any, names: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """A model's table and the columns of the named fields (which must exist)."""
    meta = model._meta
    return meta.db_table, tuple(meta.get_field(n).column for n in names)


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert rows (values in the order of `columns`, already in the database's forms). The
    rows may be an iterator, consumed as they are written. The drivers' own cursors are used;
    their errors are raised as Django's (IntegrityError...), as through Django's cursor."""
    if isinstance(rows, Sized) and not len(rows):
        return
    qn = connection.ops.quote_name
    # Table and column names come from the models, never from input.
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)})"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
    elif connection.vendor == "sqlite":
        # The driver's own cursor: Django's wrapper rewrites every parameter list.
        connection.ensure_connection()
        raw = connection.connection.cursor()
        try:
            with connection.wrap_database_errors:
                raw.executemany(f"{head} VALUES ({', '.join('?' * len(columns))})", rows)
        finally:
            raw.close()
    else:
        with connection.cursor() as cursor:
            cursor.executemany(f"{head} VALUES ({', '.join(['%s'] * len(columns))})", rows)


def reserve_ids(model: Any, n: int) -> list[int]:
    """n new primary keys for `model`, never used before (call inside the transaction that
    inserts them). SQLite: after the largest ever handed out (AUTOINCREMENT's sequence), as the
    transaction holds the write lock; PostgreSQL: from the table's sequence."""
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), n],
            )
            return [row[0] for row in cursor.fetchall()]
        qn = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX(id) FROM {qn}")  # noqa: S608 (a model's table)
        top = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))


def _converter(field: models.Field) -> Convert | None:
    """How a field's Python value becomes what the driver takes, as the ORM does it (the
    database's adapters); None when the value goes as it is."""
    ops = connection.ops
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: None if v is None else json.dumps(v, cls=encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.UUIDField):
        return lambda v: field.get_db_prep_value(v, connection)
    return None


@functools.cache
def _plan(model: Any, names: tuple[str, ...], vendor: str) -> tuple[tuple[str, Any], ...]:
    meta = model._meta
    return tuple((meta.get_field(n).attname, _converter(meta.get_field(n))) for n in names)


def model_rows(model: Any, names: Sequence[str], instances: Iterable[models.Model]) -> list[tuple]:
    """The rows of unsaved instances for insert_rows, the named fields' values converted as the
    ORM converts them (auto_now fields must be set by the caller)."""
    plan = _plan(model, tuple(names), connection.vendor)
    return [
        tuple(
            getattr(obj, attname) if convert is None else convert(getattr(obj, attname))
            for attname, convert in plan
        )
        for obj in instances
    ]


def concrete_field_names(model: Any) -> tuple[str, ...]:
    """Every concrete field of a model, the primary key first."""
    return tuple(f.name for f in model._meta.concrete_fields)


@contextmanager
def sqlite_bulk_pragmas(cache_mib: int = 1024) -> Iterator[None]:
    """On SQLite, for a long bulk write outside a transaction: a larger page cache (the
    indexes of a million customers do not fit in the default one, and each insert then reads
    pages back) and no sync per commit (WAL keeps the file consistent; a power loss can undo the
    last committed batches, whose checkpoints go with them, so that they are simply done
    again). Restored afterwards."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous")
        sync = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
        cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache}")
            cursor.execute(f"PRAGMA synchronous = {sync}")


def keyset_batches(qs: models.QuerySet, size: int) -> Iterator[list]:
    """The rows of a queryset in primary-key order, `size` at a time: each batch is one index
    range (pk > the last one seen), so that a batch costs the same at the end of a million
    rows as at the start, and rows changed by the caller between batches do not shift them."""
    qs = qs.order_by("pk")
    last = None
    while True:
        rows = list((qs if last is None else qs.filter(pk__gt=last))[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk
