"""When the workers pay an operator's approved claims: `manual` (only by hand), a daily
cut-off (`daily@14`, `daily@14:30`, in the TIMEZONE setting) or every N minutes
(`every:15`, on the clock: :00, :15, :30, :45).

The schedules themselves; claims.processing.scheduled_payouts takes the runs they make
due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
        for days in (0, 1):  # today's cut-off if it is still ahead, else tomorrow's
            candidate = datetime.combine(local.date() + timedelta(days=days), cut_off,
                                         tzinfo=zone).astimezone(UTC)
            if candidate > now:
                return candidate
    return None
