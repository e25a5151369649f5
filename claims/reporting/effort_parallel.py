"""Effort records rebuilt on several cores: each process reads the events of a slice of the
claims, computes their records and writes them in a transaction of its own. A refresh that
holds the mark hands its claims out this way; the slices are disjoint, so no two processes
write the same record.

PostgreSQL only: SQLite has one writer at a time, and the refresh holding the mark is it.
There, and with one process, the records are rebuilt in the refresh's own transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from claims.db.dialect import builds_in_processes
from claims.db.engine import UnitOfWorkFactory, make_engine, make_session_factory
from claims.reporting.effort_store import (
    CHUNK,
    Build,
    Meanwhile,
    SessionFactory,
    rebuild,
    rebuild_then,
)

# The session factory of a builder process, made once when it starts.
_factory: UnitOfWorkFactory | None = None


def _start(url: str) -> None:
    global _factory
    _factory = make_session_factory(make_engine(url))


def _rebuild_slice(claim_ids: Sequence[int]) -> int:
    assert _factory is not None, "a builder process starts with _start"
    with _factory.begin() as session:
        rebuild(session, claim_ids)
    return len(claim_ids)


@contextmanager
def builder(session_factory: SessionFactory, processes: int, *,
            smallest_slice: int = CHUNK) -> Iterator[Build]:
    """How a refresh rebuilds its claims' records: in its own transaction, or handed out to
    `processes` builder processes, started once for all the refreshes in the block."""
    engine = session_factory.kw["bind"]
    assert isinstance(engine, Engine)
    if processes <= 1 or not builds_in_processes(engine):
        yield rebuild_then
        return
    # Spawned, not forked: a child gets no copy of this process's connections.
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=_start,
                             initargs=(engine.url.render_as_string(hide_password=False),)
                             ) as pool:

        def build(session: Session, claim_ids: Sequence[int], meanwhile: Meanwhile) -> None:
            if len(claim_ids) <= smallest_slice:
                # Not worth a process's round trip.
                rebuild_then(session, claim_ids, meanwhile)
                return
            # A few slices per process, so that one slow slice leaves the others busy.
            size = max(smallest_slice, -(-len(claim_ids) // (processes * 4)))
            # map hands every slice out at once; the results are waited for after meanwhile.
            slices = pool.map(_rebuild_slice, [claim_ids[start:start + size] for start
                                               in range(0, len(claim_ids), size)])
            meanwhile()
            done = sum(slices)
            assert done == len(claim_ids)

        yield build
