"""Reads run at once on PostgreSQL, in turn on SQLite: either way on one snapshot."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from claims.db.models import Operator
from claims.db.snapshot_reads import read_at_once
from claims.operators import accounts


def _operators(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Operator)) or 0


def test_reads_at_once_see_the_snapshot_of_the_first(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_operator(factory, "before", "Before Rail", "eu-rail")
    postgres = factory.kw["bind"].dialect.name == "postgresql"
    committed = threading.Event()
    threads: set[int] = set()

    def first(session: Session) -> int:
        """Reads, then an operator is added and committed by someone else."""
        threads.add(threading.get_ident())
        seen = _operators(session)
        accounts.create_operator(factory, "during", "During Rail", "eu-rail")
        committed.set()
        return seen

    def after_the_commit(session: Session) -> int:
        threads.add(threading.get_ident())
        assert committed.wait(10)
        return _operators(session)

    results = read_at_once(factory, [first, after_the_commit])
    # Committed after the first read began: no read sees it. On PostgreSQL the others
    # imported the first one's snapshot; on SQLite they ran after it in its transaction.
    assert results == [1, 1]
    assert len(threads) == (2 if postgres else 1)
    with factory() as session:
        assert _operators(session) == 2


def test_reads_over_a_small_table_run_in_turn_on_one_snapshot(app: Flask) -> None:
    """Scanning a table far under AT_ONCE_FROM_BYTES, threads would cost more than they
    save: the reads run in the caller's thread, and still on one snapshot."""
    factory = app.extensions["effortless"].session_factory
    accounts.create_operator(factory, "before", "Before Rail", "eu-rail")
    threads: set[int] = set()

    def first(session: Session) -> int:
        threads.add(threading.get_ident())
        seen = _operators(session)
        accounts.create_operator(factory, "during", "During Rail", "eu-rail")
        return seen

    def second(session: Session) -> int:
        threads.add(threading.get_ident())
        return _operators(session)

    assert read_at_once(factory, [first, second], scanning="operators") == [1, 1]
    assert threads == {threading.get_ident()}


def test_a_failing_read_fails_the_whole(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory

    def broken(session: Session) -> int:
        return session.scalar(text("SELECT * FROM no_such_table")) or 0

    # The driver's own error, whichever the database: no result from a failed read.
    with pytest.raises(DBAPIError, match="no_such_table"):
        read_at_once(factory, [_operators, broken])
