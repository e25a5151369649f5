"""A pooled PostgreSQL connection whose server side has gone is never handed to a request:
the pool polls its socket on checkout (claims/db/engine.py) instead of a SELECT 1. One
used in autocommit goes back to the pool as one that runs transactions. The statements
marked `prepared` stay prepared on it, and only those."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from claims.db.engine import each_statement_alone, make_engine, make_session_factory
from claims.passengers import filing
from tests.helpers import REAL_DATABASE

pytestmark = pytest.mark.skipif(not (REAL_DATABASE or "").startswith("postgres"),
                                reason="a PostgreSQL server's connections (the .ci/run pass)")


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_live_pooled_connection_is_used_again(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        assert len({_backend(engine) for _ in range(5)}) == 1
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_replaced_before_use(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    admin = make_engine(database_url)
    try:
        ended = _backend(engine)  # back in the pool, idle
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended})
            # The backend has gone once it no longer shows among the server's sessions.
            deadline = time.monotonic() + 10
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity "
                                          "WHERE pid = :pid"), {"pid": ended}).scalar_one():
                assert time.monotonic() < deadline
                time.sleep(0.05)
                connection.rollback()
        # The request that checks the connection out next does not see it fail.
        replaced = _backend(engine)
        assert replaced != ended
        assert _backend(engine) == replaced
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_used_statement_by_statement_goes_back_with_transactions(
        database_url: str) -> None:
    """The passenger's look-up and claim page use their connection in autocommit
    (each_statement_alone). The pool hands that same connection to the next use case:
    a transaction there must still be one, all or nothing."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    try:
        with each_statement_alone(factory) as session:
            alone = _backend_of(session)
            session.execute(text("CREATE TEMP TABLE notes (n int)"))
            session.execute(text("INSERT INTO notes VALUES (1)"))
        with pytest.raises(RuntimeError), factory.begin() as session:
            assert _backend_of(session) == alone  # the very same connection
            session.execute(text("INSERT INTO notes VALUES (2)"))
            raise RuntimeError("the use case fails after its first write")
        with factory() as session:
            # The note written alone stays; the failed transaction's write is gone.
            assert session.execute(text("SELECT n FROM notes")).scalars().all() == [1]
    finally:
        engine.dispose()


def _backend_of(session: Session) -> int:
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_the_passengers_statements_are_prepared_and_no_others(database_url: str) -> None:
    """A look-up prepares its statement on the connection the first time (its planning
    was a third of the server's work for a filing); a statement not marked is planned
    each time however often it runs (a generic plan made while an import fills a table
    would stay a sequential scan)."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    try:
        for _ in range(3):
            assert filing.find_booking(factory, "NOSUCH1", "Nobody") is None
        with engine.connect() as connection:
            for _ in range(10):
                connection.execute(text("SELECT count(*) FROM bookings WHERE id = :id"),
                                   {"id": 1})
            statements = connection.execute(text(
                "SELECT statement FROM pg_prepared_statements")).scalars().all()
        assert len(statements) == 1
        assert "FROM bookings" in statements[0] and "reference" in statements[0]
    finally:
        engine.dispose()
