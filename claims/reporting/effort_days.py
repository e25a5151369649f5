"""The effort records added up per day (UTC), operator, regime, path, status and whether a
person decided (effort_days), per day, operator, regime and driver (effort_driver_days),
and their times per bucket (effort_time_days): what a report's sums, its times and its
cost-of-complexity ranking read, a few thousand rows where the records are a million.

A day's rows are worked out again from its records whenever records of that day are
rebuilt, in the same transaction: so they always add up to exactly the records, and
nothing is ever added to or taken from a sum by hand (which a rebuilt record would count
twice)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from claims.db.dialect import one_of, utc_day
from claims.db.models import ClaimEffort as E
from claims.db.models import (
    EffortDay,
    EffortDayDue,
    EffortDriver,
    EffortDriverDay,
    EffortTimeDay,
)
from claims.reporting import effort_times
from claims.reporting.record_sums import RECORD_SUMS, SUM_NAMES, summed

# Claims and days per statement: within SQLite's 32,766 parameters.
CHUNK = 10_000
DAY = utc_day(E.submitted_at)
_KEYS = (DAY, E.operator_id, E.regime, E.path, E.status, E.touchless_decision)
_DAY_COLUMNS = ["day", "operator_id", "regime", "path", "status", "touchless_decision",
                *SUM_NAMES, "first_at", "last_at"]
_DRIVER_COLUMNS = ["day", "operator_id", "regime", "driver", "drivers", "claims",
                   "clerk_seconds", "jobs", "paid", "active_seconds"]


def roll_up(session: Session, claim_ids: Sequence[int]) -> None:
    """The days of these claims' (just rebuilt) records, worked out again now."""
    note_due(session, claim_ids)
    roll_up_due(session)


def note_due(session: Session, claim_ids: Sequence[int]) -> None:
    """The days of these claims' (just rebuilt) records, noted to be worked out again: in
    the rebuild's transaction, so a build that stops half way leaves them noted."""
    connection = session.connection()
    days: set[date] = set()
    for start in range(0, len(claim_ids), CHUNK):
        days.update(as_date(day) for day in connection.execute(
            select(DAY).distinct().where(one_of(session, E.claim_id,
                                                claim_ids[start:start + CHUNK]))).scalars())
    known = set(map(as_date, connection.execute(select(EffortDayDue.day)).scalars()))
    if days - known:
        connection.execute(insert(EffortDayDue), [{"day": day} for day in days - known])


def roll_up_due(session: Session) -> None:
    """Every day noted, worked out again. The caller holds the effort mark, as every
    rebuild does, so no two transactions note or roll up days at once."""
    connection = session.connection()
    due = [as_date(day) for day in connection.execute(select(EffortDayDue.day)).scalars()]
    if due:  # else no write at all: on SQLite even an empty DELETE takes the write lock
        recompute(connection, due)
        connection.execute(delete(EffortDayDue))


def recompute(connection: Connection, days: Iterable[date]) -> None:
    wanted = sorted(set(days))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        connection.execute(delete(EffortDriverDay).where(EffortDriverDay.day.in_(chunk)))
        connection.execute(delete(EffortDay).where(EffortDay.day.in_(chunk)))
        connection.execute(delete(EffortTimeDay).where(EffortTimeDay.day.in_(chunk)))
        _fill(connection, on_days(E.submitted_at, chunk))


def _fill(connection: Connection, records: ColumnElement[bool]) -> None:
    connection.execute(insert(EffortDay).from_select(_DAY_COLUMNS, select(
        *_KEYS, *RECORD_SUMS, func.min(E.submitted_at), func.max(E.submitted_at))
        .where(records).group_by(*_KEYS)))
    # How many drivers each claim of these days has: its extra cost is shared among them.
    counted = (select(EffortDriver.claim_id, func.count().label("drivers"))
               .join(E, E.claim_id == EffortDriver.claim_id).where(records)
               .group_by(EffortDriver.claim_id).subquery())
    connection.execute(insert(EffortDriverDay).from_select(_DRIVER_COLUMNS, select(
        DAY, E.operator_id, E.regime, EffortDriver.driver, counted.c.drivers, func.count(),
        summed(E.clerk_seconds), summed(E.jobs), summed(E.paid), summed(E.active_seconds))
        .join(E, E.claim_id == EffortDriver.claim_id)
        .join(counted, counted.c.claim_id == EffortDriver.claim_id).where(records)
        .group_by(DAY, E.operator_id, E.regime, EffortDriver.driver, counted.c.drivers)))
    effort_times.fill(connection, records, DAY)


def on_days(at: Any, days: Sequence[date]) -> ColumnElement[bool]:
    """The rows whose instant `at` falls on one of these (sorted) days, as ranges of
    instants (an index on the instant serves them): consecutive days make one range."""
    ranges: list[list[date]] = []
    for day in days:
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return or_(*(and_(at >= midnight(first), at < midnight(last + timedelta(days=1)))
                 for first, last in ranges))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def as_date(value: date | str) -> date:
    """A date on PostgreSQL, text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value)
