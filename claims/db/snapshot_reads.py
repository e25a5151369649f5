"""Reads that run at once, each on a connection of its own, all seeing one snapshot.

A report over a million claims is a handful of independent reads (the days' sums, the
times' buckets, the drivers, the forms started). PostgreSQL runs each on at most a few
cores, and most on one: run one after another, they leave cores idle. Here each runs on a
thread and connection of its own, and every transaction imports the snapshot the first
one exported (as pg_dump's parallel jobs do), so the figures agree with each other as if
read in one transaction.
SQLite has no snapshots to share: there the reads run one after another in one
transaction, which in WAL mode reads one snapshot too."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from claims.db.dialect import reads_at_once

T = TypeVar("T")
Read = Callable[[Session], T]
# pg_export_snapshot() gives e.g. 00000003-0000001B-1; SET TRANSACTION SNAPSHOT takes it
# only as a literal, so it is checked before it is written into the statement.
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+(-[0-9A-F]+)+$")
REPEATABLE_READ = {"isolation_level": "REPEATABLE READ"}


# Below this size of the table the reads scan, they run one after another: each takes a
# millisecond or two, and a thread, a connection and a snapshot import each cost more than
# they save. The report page over 3,500 records took 45 ms of Python at once and 33 ms in
# turn (measured); over a million records the reads at once are what keep it under 1 s.
AT_ONCE_FROM_BYTES = 16 * 1024 * 1024


def read_at_once(session_factory: sessionmaker[Session], reads: Sequence[Read[T]], *,
                 scanning: str | None = None) -> list[T]:
    """The result of each read, in order. With `scanning`, the largest table the reads
    scan, they run at once only when it is large enough for that to pay
    (AT_ONCE_FROM_BYTES)."""
    with session_factory() as leader:
        if not reads_at_once(leader) or len(reads) < 2:
            return [read(leader) for read in reads]
        leader.connection(execution_options=REPEATABLE_READ)
        if scanning is not None and (leader.scalar(
                text("SELECT pg_relation_size(CAST(:table AS regclass))"),
                {"table": scanning}) or 0) < AT_ONCE_FROM_BYTES:
            # One repeatable-read transaction: one snapshot, as at once.
            return [read(leader) for read in reads]
        snapshot = str(leader.scalar(text("SELECT pg_export_snapshot()")))
        if not SNAPSHOT_ID.match(snapshot):
            raise ValueError(f"unexpected snapshot id {snapshot!r}")

        def on_the_snapshot(read: Read[T]) -> T:
            with session_factory() as session:
                session.connection(execution_options=REPEATABLE_READ)
                session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
                return read(session)

        # The snapshot stays importable while the leader's transaction is open: the
        # leader takes the first read itself and waits for the others inside it.
        with ThreadPoolExecutor(len(reads) - 1) as pool:
            others = [pool.submit(on_the_snapshot, read) for read in reads[1:]]
            first = reads[0](leader)
            return [first, *(future.result() for future in others)]
