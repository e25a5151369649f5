"""Effort derived from a claim's event log (../shared/effort.md), never typed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from claims.models import Actor, EventKind

# A stretch of work counts at most this long: a claim left open on a screen while the
# clerk is away is not handling time.
IDLE_CUTOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class LoggedEvent:
    at: datetime
    kind: str
    actor: str
    actor_id: int | None


@dataclass(frozen=True)
class ClerkEffort:
    seconds: float      # handling time, each stretch cut off at IDLE_CUTOFF
    touches: int        # stretches of work: each time a clerk picked the claim up
    clerks: int         # distinct clerks who worked on it
    handovers: int      # the claim passed from one clerk to another


def clerk_effort(events: Iterable[LoggedEvent]) -> ClerkEffort:
    """From work_started/work_ended pairs per clerk; a stretch never ended (the clerk
    closed the tab) counts up to the cut-off, like any other."""
    seconds = 0.0
    open_since: dict[int, datetime] = {}
    touches, clerks, handovers = 0, set(), 0
    holder: int | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.actor != Actor.CLERK or event.actor_id is None:
            continue
        clerks.add(event.actor_id)
        if event.kind == EventKind.CLAIM_TAKEN:
            if holder is not None and holder != event.actor_id:
                handovers += 1
            holder = event.actor_id
        elif event.kind == EventKind.WORK_STARTED:
            touches += 1
            open_since.setdefault(event.actor_id, event.at)
        elif event.kind == EventKind.WORK_ENDED and event.actor_id in open_since:
            seconds += _capped(event.at - open_since.pop(event.actor_id))
    seconds += sum(_capped(IDLE_CUTOFF) for _ in open_since)
    return ClerkEffort(seconds, touches, len(clerks), handovers)


def _capped(stretch: timedelta) -> float:
    return min(stretch, IDLE_CUTOFF).total_seconds()
