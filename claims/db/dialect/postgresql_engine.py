"""PostgreSQL's engine: statements prepared where marked, sessions in UTC, pooled
connections checked before use, and server sockets never shared with forked children."""

from __future__ import annotations

import os
import select
import sys
import threading
from contextlib import suppress
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc

from claims.db.dialect.options import PREPARED


def make_engine(url: str, **options: Any) -> Engine:
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
