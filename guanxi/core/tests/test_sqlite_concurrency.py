"""SQLite is configured for a server (DESIGN.md, "Decisions that keep it fast and safe").

With Django's default deferred transactions, concurrent read-then-write transactions fail with
"database is locked": a reader cannot upgrade its lock while another connection writes, and
SQLite does not wait in that case. With `transaction_mode="IMMEDIATE"` every transaction takes
the write lock at BEGIN and waits its turn (busy timeout), so none fails and none is lost.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite configuration; other databases lock rows"
)

THREADS = 8
INCREMENTS = 50


def _pragma(name: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_connection_is_configured_for_a_server() -> None:
    connection.ensure_connection()
    assert str(_pragma("journal_mode")).lower() == "wal"
    assert _pragma("synchronous") == 2  # FULL: a committed transaction survives a power cut
    assert int(_pragma("busy_timeout")) >= 5000
    assert _pragma("foreign_keys") == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_concurrent_read_modify_write_loses_nothing(transactional_db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        cursor.execute("INSERT INTO test_counter (id, value) VALUES (1, 0)")

    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        try:
            start.wait()
            for _ in range(INCREMENTS):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT value FROM test_counter WHERE id = 1")
                    value = cursor.fetchone()[0]
                    time.sleep(0.001)  # let the other threads in between the read and the write
                    cursor.execute("UPDATE test_counter SET value = %s WHERE id = 1", [value + 1])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    try:
        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == [], [str(e) for e in errors]  # no "database is locked"
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM test_counter WHERE id = 1")
            assert cursor.fetchone()[0] == THREADS * INCREMENTS
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS test_counter")
