"""A pooled PostgreSQL connection whose server side has gone is never handed to a request:
the pool polls its socket on checkout (claims/db/engine.py) instead of a SELECT 1."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text

from claims.db.engine import make_engine
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
