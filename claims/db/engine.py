"""Engine and session factory for a database URL; the same for web, workers and scripts."""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import Engine, Executable, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

# The execution option that marks a transaction as one that writes. On SQLite it begins
# with BEGIN IMMEDIATE, everything else with a plain (deferred) BEGIN.
WRITES = "effortless_writes"

# The execution option of the statements PostgreSQL keeps prepared on each connection.
PREPARED = "effortless_prepared"
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
    if url.startswith("sqlite"):
        # Web server, workers and CLI share one file: wait for locks instead of failing,
        # and let readers proceed while one writer writes (WAL).
        # pysqlite's own transaction handling is switched off (isolation_level=None) so
        # that we say how each transaction begins: IMMEDIATE where it will write (a deferred
        # transaction that reads, then writes after another writer committed, would fail
        # with "database is locked" instead of waiting), deferred where it only reads, so
        # that a reader never waits for a writer nor blocks one.
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
        def _begin(connection: Any) -> None:
            writes = connection.get_execution_options().get(WRITES, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    # No statement is prepared on the server unless it is marked `prepared`: a generic plan
    # made while a table was small (an import filling it in one transaction) would stay a
    # sequential scan as it grows. psycopg prepares a statement it is asked to only while
    # its threshold is a number (None turns preparing off); this one is never reached, and
    # each statement SQLAlchemy runs says whether it is prepared.
    # Connections kept open for the threads of a web worker (gunicorn's --threads; 8 in
    # the production set-up): a thread that finds none idle opens one of its own and
    # closes it after its request, a new server process, its prepared statements gone.
    options.setdefault("pool_size", 10)
    engine = create_engine(url, connect_args={"prepare_threshold": sys.maxsize}, **options)
    _not_handed_out_dead(engine)

    @event.listens_for(engine, "do_execute")
    def _prepared_if_marked(cursor: Any, statement: str, parameters: Any,
                            context: Any) -> bool:
        cursor.execute(statement, parameters,
                       prepare=bool(context.execution_options.get(PREPARED)))
        return True  # executed: SQLAlchemy does not execute it again

    @event.listens_for(engine, "connect")
    def _utc_session(connection: Any, _record: Any) -> None:
        """Sessions in UTC whatever the server's default: weeks in reports begin at UTC
        midnight, and instants arrive with datetime.UTC, which UtcDateTime passes through.
        Set outside a transaction, so that no rollback undoes it."""
        autocommit = connection.autocommit
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        connection.autocommit = autocommit

    _not_shared_with_forked_children(engine)
    return engine


def _not_handed_out_dead(engine: Engine) -> None:
    """A pooled connection whose server went away (a restart, pg_terminate_backend, an idle
    timeout) is replaced before a request uses it. An idle connection in the pool has
    nothing to read, unless the server closed it or sent its last words ("terminating
    connection"), so a socket with something to read is one to drop. That is a poll of the
    socket, not SQLAlchemy's pool_pre_ping, a SELECT 1 round trip on every checkout: three
    a filed claim, 11 % of the web process's time on the passenger's path (measured)."""

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or _has_something_to_read(dbapi_connection.fileno()):
            # The pool drops this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError("the server closed this pooled connection")


def _has_something_to_read(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


# The sockets of this process's server connections. RQ forks its scheduler from a worker
# whose drain loop may be mid-transaction: a child holding a copy of that socket would keep
# the transaction, and its row locks, alive after the worker is killed (the server never
# sees the socket close). In the child each one is pointed at /dev/null: the parent's
# connection is untouched, and the child can neither use it nor keep it open. A fork waits
# for a connect in progress, so that no socket is copied before it is on the list.
_SOCKETS: set[int] = set()
_CONNECTING = threading.Lock()


def _not_shared_with_forked_children(engine: Engine) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        with _CONNECTING:
            connection = dialect.connect(*cargs, **cparams)
            record.info["fd"] = connection.fileno()
            _SOCKETS.add(record.info["fd"])
            return connection

    @event.listens_for(engine, "close")
    def _forget(_connection: Any, record: Any) -> None:
        _SOCKETS.discard(record.info.get("fd"))


def _release_sockets_in_child() -> None:
    _CONNECTING.release()
    if not _SOCKETS:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in _SOCKETS:
            with suppress(OSError):
                os.dup2(devnull, fd)
    finally:
        os.close(devnull)
    _SOCKETS.clear()


os.register_at_fork(before=_CONNECTING.acquire, after_in_parent=_CONNECTING.release,
                    after_in_child=_release_sockets_in_child)


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
    bind = factory.kw["bind"]
    if bind.dialect.name == "sqlite":
        with factory.begin() as session:
            yield session
        return
    with factory() as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def make_session_factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine, expire_on_commit=False)
