"""What the machine is doing, for the operators' monitoring (Prometheus scrapes it): claims
per state, decisions so far, the time from submit to decision, mails not yet sent. Read
from the database, so every web process answers the same, whichever one is scraped."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import EventKind
from claims.db.models import Claim, ClaimEffort, ClaimEvent
from claims.processing.notices import notices_due

# Seconds from submit to decision: straight through is seconds, a clerk hours or days.
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 3600.0, 86400.0, 604800.0)


@dataclass(frozen=True)
class MachineState:
    claims_by_status: dict[str, int]
    decided_total: int
    latency_buckets: tuple[tuple[float, int], ...]  # (upper bound, claims at or under it)
    latency_count: int
    latency_sum: float
    notices_waiting: int


def machine_state(session_factory: sessionmaker[Session]) -> MachineState:
    with session_factory() as session:
        by_status = {status: int(n) for status, n in session.execute(
            select(Claim.status, func.count()).group_by(Claim.status))}
        decided = int(session.scalar(select(func.count()).select_from(ClaimEvent).where(
            ClaimEvent.kind == EventKind.CLAIM_DECIDED)) or 0)
        seconds = ClaimEffort.decision_seconds
        row = session.execute(select(
            func.count(seconds), func.coalesce(func.sum(seconds), 0),
            *[func.coalesce(func.sum(case((seconds <= bound, 1), else_=0)), 0)
              for bound in LATENCY_BUCKETS])).one()
    waiting = len(notices_due(session_factory, limit=10_000))
    return MachineState(by_status, decided,
                        tuple(zip(LATENCY_BUCKETS, (int(n) for n in row[2:]), strict=True)),
                        int(row[0]), float(row[1]), waiting)
