"""Engine and session factory for a database URL; the same for web, workers and scripts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        # Web server, workers and CLI share one file: wait for locks instead of failing,
        # and let readers proceed while one writer writes.
        # pysqlite's own transaction handling is switched off (isolation_level=None) so
        # that every transaction starts with BEGIN IMMEDIATE: a read that later writes
        # would otherwise fail with "database is locked" instead of waiting its turn.
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None},
                               **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No server-side prepared statements: a generic plan made while a table was small (an
    # import filling it in one transaction) would stay a sequential scan as it grows.
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None},
                         **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
