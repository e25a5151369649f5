"""When the workers pay an operator's approved claims: `manual` (only by hand), a daily
cut-off (`daily@14`, `daily@14:30`, in the TIMEZONE setting) or every N minutes
(`every:15`, on the clock: :00, :15, :30, :45).

The operator's row is the truth: payout_next_run_at is the instant the next run is due.
A worker takes a run by moving that instant on from the value it read, in one UPDATE
(take_due_run): of two hosts that saw the same due run, one changes the row and the other
changes nothing, whatever Redis does meanwhile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from claims.db.models import Operator

MANUAL = "manual"
_DAILY = re.compile(r"daily@(\d{1,2})(?::(\d{2}))?")
_EVERY = re.compile(r"every:(\d{1,4})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    kind: str  # manual, daily, every
    minutes: int = 0  # daily: the cut-off's minute of the day; every: the interval

    def __str__(self) -> str:
        if self.kind == "daily":
            return f"daily@{self.minutes // 60:02d}:{self.minutes % 60:02d}"
        if self.kind == "every":
            return f"every:{self.minutes}"
        return MANUAL


def parse_schedule(text: str) -> Schedule:
    text = text.strip().lower()
    if text == MANUAL:
        return Schedule(MANUAL)
    if daily := _DAILY.fullmatch(text):
        hour, minute = int(daily.group(1)), int(daily.group(2) or 0)
        if hour < 24 and minute < 60:
            return Schedule("daily", hour * 60 + minute)
    if (every := _EVERY.fullmatch(text)) and 1 <= int(every.group(1)) <= 1440:
        return Schedule("every", int(every.group(1)))
    raise ScheduleError("payout-schedule: manual, daily@HH[:MM] (a cut-off in TIMEZONE) or "
                        "every:N (minutes, 1 to 1440)")


def next_run_after(schedule: Schedule, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The first due instant after `now`; None for manual."""
    if schedule.kind == "every":
        # On the clock, counted from the epoch: every:15 at :00, :15, ..., whoever asks.
        minutes = (now - _EPOCH) // timedelta(minutes=1)
        return _EPOCH + timedelta(minutes=(minutes // schedule.minutes + 1) * schedule.minutes)
    if schedule.kind == "daily":
        local = now.astimezone(zone)
        cut_off = time(schedule.minutes // 60, schedule.minutes % 60)
        for days in (0, 1, 2):  # 2: a cut-off that a clock change skipped tomorrow
            candidate = datetime.combine(local.date() + timedelta(days=days), cut_off,
                                         tzinfo=zone).astimezone(UTC)
            if candidate > now:
                return candidate
    return None


def set_schedule(operator: Operator, schedule: Schedule, now: datetime, zone: ZoneInfo) -> None:
    """The operator's schedule from now on: its first run at the next due instant."""
    operator.payout_schedule = str(schedule)
    operator.payout_next_run_at = next_run_after(schedule, now, zone)


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
