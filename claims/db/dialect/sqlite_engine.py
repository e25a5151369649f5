"""SQLite's engine: one file shared by the web server, the workers and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from claims.db.dialect.options import WRITES


def make_engine(url: str, **options: Any) -> Engine:
    """Wait for locks instead of failing, and let readers proceed while one writer writes
    (WAL). pysqlite's own transaction handling is switched off (isolation_level=None) so
    that we say how each transaction begins: IMMEDIATE where it will write (a deferred
    transaction that reads, then writes after another writer committed, would fail with
    "database is locked" instead of waiting), deferred where it only reads, so that a
    reader never waits for a writer nor blocks one."""
    engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None},
                           **options)

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        writes = connection.get_execution_options().get(WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[Callable[[], None]]:
    """SQLite alters a table by copying it and dropping the old one, which the foreign
    keys of the other tables refuse once rows point at it. The check is switched off
    (outside any transaction, the only place SQLite takes it) for the block, which gets
    the check of the whole database to run at the end of its migrations."""
    _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        yield lambda: _check_foreign_keys(connection)
    finally:
        _pragma(connection, "PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")


def _pragma(connection: Connection, pragma: str) -> None:
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("no SQLite connection to set a pragma on")
    driver.execute(pragma)
