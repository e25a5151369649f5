"""How long claims took, kept as counts per time bucket and day (effort_time_days): a
report's medians and 90th percentiles add up these counts where it sorted every record's
times before (three sorts of a million values: most of a report's second at that scale).

A bucket is one second wide below EXACT_BELOW seconds and GROWTH (1 %) wide above it; it
holds how many times fell into it and their sum. A percentile is interpolated between the
means of the buckets around it, as PostgreSQL's percentile_cont interpolates between
values: exact where a bucket holds one value (every time under a minute and a half, and
any small sample), and within 1 % of the exact figure otherwise."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Float, Integer, Select, case, cast, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement

from claims.db.models import ClaimEffort as E
from claims.db.models import EffortTimeDay

EXACT_BELOW = 100
GROWTH = 1.01
# The record's column of each time the report states, by its name in effort_time_days.
MEASURES = {"decision": E.decision_seconds, "payout": E.payout_seconds,
            "queue": E.queue_seconds}
SHARES = (0.5, 0.9)


def bucket_of(seconds: Any) -> ColumnElement[int]:
    """The bucket of a time in whole seconds, in SQL (ln: PostgreSQL, SQLite 3.35+)."""
    return case((seconds < EXACT_BELOW, seconds), else_=EXACT_BELOW + cast(func.floor(
        func.ln(cast(seconds, Float) / EXACT_BELOW) / literal(math.log(GROWTH))), Integer))


def fill(connection: Connection, records: ColumnElement[bool], day: Any) -> None:
    """The buckets of the records `records` selects, per day, operator and regime."""
    for measure, seconds in MEASURES.items():
        bucket = bucket_of(seconds)
        connection.execute(insert(EffortTimeDay).from_select(
            ["day", "operator_id", "regime", "measure", "bucket", "claims", "seconds"],
            select(day, E.operator_id, E.regime, literal(measure), bucket, func.count(),
                   func.sum(seconds))
            .where(records, seconds.is_not(None))
            .group_by(day, E.operator_id, E.regime, bucket)))


def buckets_query(days: ColumnElement[bool]) -> Select[str, int, int, int]:
    """The buckets of every measure over the days `days` selects, in order."""
    return (select(EffortTimeDay.measure, EffortTimeDay.bucket, func.sum(EffortTimeDay.claims),
                   func.sum(EffortTimeDay.seconds))
            .where(days).group_by(EffortTimeDay.measure, EffortTimeDay.bucket)
            .order_by(EffortTimeDay.measure, EffortTimeDay.bucket))


def percentiles_by_measure(rows: Iterable[Sequence[Any]]) -> dict[str, tuple[float, ...]]:
    """(p50, p90) of each measure that has times, from buckets_query's rows."""
    buckets: dict[str, list[tuple[int, float]]] = {}
    for measure, _bucket, claims, seconds in rows:
        buckets.setdefault(measure, []).append((int(claims), float(seconds) / int(claims)))
    return {measure: tuple(percentile(counted, share) for share in SHARES)
            for measure, counted in buckets.items()}


def percentile(counted: Sequence[tuple[int, float]], share: float) -> float:
    """The value at `share` of (count, mean) buckets in ascending order, interpolated
    linearly between the two ranks around it (percentile_cont's rule)."""
    total = sum(count for count, _mean in counted)
    rank = (total - 1) * share
    below = math.floor(rank)
    low, high = _at_rank(counted, below), _at_rank(counted, min(below + 1, total - 1))
    return low + (rank - below) * (high - low)


def _at_rank(counted: Sequence[tuple[int, float]], rank: int) -> float:
    seen = 0
    for count, mean in counted:
        seen += count
        if rank < seen:
            return mean
    raise ValueError(f"rank {rank} past the {seen} values")
