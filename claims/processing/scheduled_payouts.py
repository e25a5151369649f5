"""Scheduled payout runs taken from the database, one at a time.

The operator's row is the truth: payout_next_run_at is the instant the next run is due
(claims.core.payout_schedule). A worker takes a run by moving that instant on from the
value it read, in one UPDATE (take_due_run): of two hosts that saw the same due run, one
changes the row and the other changes nothing, whatever Redis does meanwhile."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from claims.core.payout_schedule import next_run_after, parse_schedule
from claims.db.models import Operator


def operators_due(session_factory: sessionmaker[Session], now: datetime) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(Operator.id).where(
            Operator.payout_next_run_at <= now).order_by(Operator.id)))


def take_due_run(session_factory: sessionmaker[Session], operator_id: int,
                 now: datetime, zone: ZoneInfo) -> bool:
    """True when this caller took the operator's due run: its next run moved on and its
    last run set to now, committed. False when it is not due or another took it."""
    with session_factory.begin() as session:
        row = session.execute(select(Operator.payout_schedule, Operator.payout_next_run_at)
                              .where(Operator.id == operator_id)).one_or_none()
        if row is None or row.payout_next_run_at is None or row.payout_next_run_at > now:
            return False
        schedule = parse_schedule(row.payout_schedule)
        taken = session.execute(
            update(Operator).where(Operator.id == operator_id,
                                   Operator.payout_next_run_at == row.payout_next_run_at)
            .values(payout_next_run_at=next_run_after(schedule, now, zone),
                    payout_last_run_at=now)
            .execution_options(synchronize_session=False))
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
