"""The SQLite full-text (FTS5 trigram) index of customers' search text: its triggers, a full
rebuild, and the batch mode bulk writers use. On PostgreSQL the search reads a trigram index of
the column itself and none of this applies."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction

FTS_TABLE = "customers_customer_fts"
INSERT_TRIGGER = "customers_customer_fts_ai"


def trigger_statements() -> tuple[list[str], list[str]]:
    """The trigger statements of the search-index migration: (create, drop)."""
    migration = importlib.import_module("guanxi.customers.migrations.0002_search_index")
    up = [s for s in migration.SQLITE_UP if s.lstrip().upper().startswith("CREATE TRIGGER")]
    down = [s for s in migration.SQLITE_DOWN if s.lstrip().upper().startswith("DROP TRIGGER")]
    return up, down


def triggers_present() -> bool:
    up, _down = trigger_statements()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'customers_customer_fts_%'"
        )
        return cursor.fetchone()[0] == len(up)


def rebuild() -> None:
    """Recreate the SQLite triggers as the migration does and rebuild the FTS5 index."""
    up, down = trigger_statements()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in down + up:
            cursor.execute(sql)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')")


@contextmanager
def triggers_off(enabled: bool = True) -> Iterator[None]:
    """On SQLite: no per-row triggers while inserting, one rebuild at the end (also after a
    failure, so that the index never stays stale)."""
    if not enabled:
        yield
        return
    _up, down = trigger_statements()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in down:
            cursor.execute(sql)
    try:
        yield
    finally:
        rebuild()


@contextmanager
def batch_insert(ids: Sequence[int]) -> Iterator[None]:
    """New customers `ids` are inserted in the block; their search text is indexed in one
    statement at its end instead of one trigger call per row (about half the cost).

    Must run inside a transaction: the insert trigger is dropped and created again within it,
    so that no other connection ever sees the table without it (SQLite's writes are serial;
    the change of schema is atomic with the rows)."""
    if connection.vendor != "sqlite" or not ids:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("search_index.batch_insert must run inside a transaction")
    up, _down = trigger_statements()
    create = next(s for s in up if INSERT_TRIGGER in s)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")
    try:
        yield
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) "  # noqa: S608 (constant names)
                "SELECT id, search_text FROM customers_customer WHERE id BETWEEN %s AND %s",
                [min(ids), max(ids)],
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(create)
