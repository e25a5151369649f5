"""Engine and session factory for a database URL; the same for web, workers and scripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Executable
from sqlalchemy.orm import Session, sessionmaker

from claims.db.dialect import dialect_engine, statements_commit_alone
from claims.db.dialect.options import PREPARED, WRITES

_Statement = TypeVar("_Statement", bound=Executable)


def prepared(statement: _Statement) -> _Statement:
    """The statement, prepared on the server the first time a connection runs it, and
    only bound and run from then on: for the statements of every passenger's filing,
    whose planning was a third of PostgreSQL's work for a filing (3.1 ms of server time
    a filing, 1.9 ms prepared; bench/submit_claims.py's load). Only statements whose plan
    cannot go wrong as tables grow: rows found by a key, and inserts."""
    return statement.execution_options(**{PREPARED: True})


class UnitOfWorkFactory(sessionmaker[Session]):
    """`factory()` is a session that reads; `factory.begin()` a transaction that writes.

    Every use case that writes opens its transaction with `begin()` (and commits by leaving
    it), so the write lock is asked for at the start of exactly those transactions: a read
    never holds SQLite's only write lock, and a writer waits its turn (busy timeout) instead
    of failing when its read snapshot went stale before its first write."""

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self() as session, session.begin():
            session.connection(execution_options={WRITES: True})
            yield session


def make_engine(url: str, **options: Any) -> Engine:
    # A statement's error names the statement, not its values: they are names, e-mail
    # addresses, texts, and the error goes to the log and, in a job, to Redis with it.
    options.setdefault("hide_parameters", True)
    return dialect_engine(url, **options)


def for_writing(engine: Engine) -> Engine:
    """The same engine (and pool), whose `begin()` starts a transaction that writes."""
    return engine.execution_options(**{WRITES: True})


@contextmanager
def each_statement_alone(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose every statement commits on its own, on PostgreSQL: for reads and
    what is written after them that needs nothing in common with them (an effort event;
    a claim written in one statement, which the claims' unique key guards).

    In READ COMMITTED, PostgreSQL's level here, each statement of a transaction sees
    what was committed when it began: reads in one transaction see no more together
    than apart. The transaction only costs its BEGIN and COMMIT (or ROLLBACK), a round
    trip each and the driver's and SQLAlchemy's work for them: on the passenger's
    look-up and claim page, four of the filing's seventeen round trips (five now, with
    the writes chained). On SQLite, where a transaction that reads is a snapshot and
    one that writes takes the lock first, it is a transaction that writes (`begin()`)."""
    if not statements_commit_alone(factory.kw["bind"]):
        with factory.begin() as session:
            yield session
        return
    with factory() as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def make_session_factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine, expire_on_commit=False)
