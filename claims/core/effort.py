"""Effort derived from a claim's event log (../shared/effort.md), never typed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from claims.core.vocabulary import DECIDED, Actor, EventKind

# A stretch of work counts at most this long: a claim left open on a screen while the
# clerk is away is not handling time.
IDLE_CUTOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class LoggedEvent:
    at: datetime
    kind: str
    actor: str
    actor_id: int | None
    counts: dict[str, Any] = field(default_factory=dict)
    id: int = 0


@dataclass(frozen=True)
class ClerkEffort:
    seconds: float      # handling time, each stretch cut off at IDLE_CUTOFF
    touches: int        # stretches of work: each time a clerk picked the claim up
    clerks: int         # distinct clerks who worked on it
    handovers: int      # the claim passed from one clerk to another


def clerk_effort(events: Iterable[LoggedEvent], now: datetime | None = None) -> ClerkEffort:
    """From work_started/work_ended pairs per clerk. A stretch not ended (the clerk is at
    it, or closed the tab) runs to `now`, or without it to the last event the claim has
    (another clerk taking it, a decision); no stretch counts past the idle cut-off."""
    events = sorted(events, key=lambda e: e.at)
    seconds = 0.0
    open_since: dict[int, datetime] = {}
    touches, clerks, handovers = 0, set(), 0
    holder: int | None = None
    for event in events:
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
    end = now or (events[-1].at if events else None)
    seconds += sum(_capped(max(end - start, timedelta(0))) for start in open_since.values()
                   if end is not None)
    return ClerkEffort(seconds, touches, len(clerks), handovers)


def _capped(stretch: timedelta) -> float:
    return min(stretch, IDLE_CUTOFF).total_seconds()


# Passenger time on task: gaps longer than this are breaks, not work (effort.md).
PASSENGER_IDLE = timedelta(minutes=30)


@dataclass(frozen=True)
class ClaimFacts:
    claim_id: int
    operator_id: int
    regime: str
    status: str
    manual: bool
    submitted_at: datetime
    decided_at: datetime | None
    amount: Decimal | None
    reason_codes: tuple[str, ...]
    ces_score: int | None
    # Started by the operations data: an offer, or a payment without a claim.
    proactive: bool = False


def effort_record(claim: ClaimFacts, events: list[LoggedEvent]) -> tuple[dict[str, Any],
                                                                         set[str]]:
    """The claim's effort record and its drivers, from its events (and the events of its
    booking before the claim existed: the lookup and the form)."""
    events = sorted(events, key=lambda e: (e.at, e.id))
    kinds = [e.kind for e in events]
    # The passenger's own act: filing the claim, or accepting the offer (one click).
    submitted = next((e for e in events if e.kind in (EventKind.CLAIM_SUBMITTED,
                                                      EventKind.OFFER_ACCEPTED)), None)
    submit_counts = submitted.counts if submitted else {}
    shown = next((e for e in events if e.kind == EventKind.CLAIM_FORM_SHOWN), None)
    human = any(e.actor == Actor.CLERK for e in events)
    paid_at = next((e.at for e in events if e.kind == EventKind.CLAIM_PAID), None)
    decided = claim.status in DECIDED and claim.decided_at is not None
    clerk = clerk_effort(events)
    rejected_forms = [e for e in events if e.kind == EventKind.CLAIM_FORM_REJECTED]
    info_requested = [e for e in events if e.kind == EventKind.INFO_REQUESTED]
    after_submit = [e for e in events if submitted is not None and e.at >= submitted.at]
    record = {
        "claim_id": claim.claim_id, "operator_id": claim.operator_id, "regime": claim.regime,
        "path": _path(claim, human=human, decided=decided),
        "status": claim.status, "submitted_at": claim.submitted_at,
        "decision_seconds": _seconds(claim.submitted_at, claim.decided_at) if decided
        else None,
        "payout_seconds": _seconds(claim.submitted_at, paid_at),
        "queue_seconds": _queue_seconds(events),
        "touchless_decision": decided and not human,
        "touchless_payout": decided and not human and paid_at is not None,
        "paid": paid_at is not None, "amount": claim.amount,
        "fields_shown": int((shown.counts if shown else submit_counts).get("fields_shown", 0)),
        "fields_prefilled": int((shown.counts if shown else {}).get("fields_prefilled", 0)),
        "fields_typed": int(submit_counts.get("fields_typed", 0)),
        "fields_changed": int(submit_counts.get("fields_changed", 0)),
        "keystrokes": _known(submit_counts.get("keystrokes")),
        "clicks": _known(submit_counts.get("clicks")),
        "active_seconds": _active_seconds(events, submitted),
        "validation_errors": sum(int(e.counts.get("errors", 0)) for e in rejected_forms),
        "submit_attempts": len(rejected_forms) + (1 if submitted else 0),
        "steps": sum(1 for e in events if e.kind in PASSENGER_STEPS),
        "uploads": kinds.count(EventKind.DOCUMENT_UPLOADED),
        "info_requests": len(info_requested),
        "contacts": sum(1 for e in after_submit if e.kind == EventKind.STATUS_VIEWED),
        "appeals": kinds.count(EventKind.APPEALED),
        "clerk_seconds": int(clerk.seconds), "touches": clerk.touches, "clerks": clerk.clerks,
        "handovers": clerk.handovers,
        "jobs": kinds.count(EventKind.ASSESSMENT_STARTED) + sum(
            1 for kind in kinds if kind in NOTICE_EVENTS),
        "ces_score": claim.ces_score, "reason_codes": " ".join(claim.reason_codes) or None,
        "last_event_id": max((e.id for e in events), default=0),
    }
    drivers = {f"reason:{code}" for code in claim.reason_codes}
    drivers |= {f"field:{name}" for name in str(submit_counts.get("fields", "")).split()}
    drivers |= {f"asked:{item}" for e in info_requested
                for item in str(e.counts.get("asked", "")).split()}
    if record["uploads"]:
        drivers.add("document:ticket")
    return record, drivers


def _path(claim: ClaimFacts, *, human: bool, decided: bool) -> str:
    if claim.manual:
        return "no-booking"
    if human:
        return "clerk"
    if claim.proactive:
        # Offered or paid without a claim; an offer not (yet) accepted is on this path too.
        return "proactive"
    return "touchless" if decided else "clerk"


# Each mail sent is one job of the system's.
NOTICE_EVENTS = {EventKind.DECISION_MAILED, EventKind.PAYOUT_MAILED, EventKind.RECEIPT_MAILED,
                 EventKind.INFO_REQUEST_MAILED, EventKind.OFFER_MAILED}


# The pages a passenger passes on the way to a filed claim, and answering a clerk.
PASSENGER_STEPS = {EventKind.BOOKING_FOUND, EventKind.CLAIM_FORM_SHOWN,
                   EventKind.CLAIM_FORM_REJECTED, EventKind.MANUAL_FORM_SHOWN,
                   EventKind.CLAIM_SUBMITTED, EventKind.INFO_PROVIDED, EventKind.APPEALED,
                   EventKind.OFFER_ACCEPTED, EventKind.OFFER_DECLINED}


def _queue_seconds(events: list[LoggedEvent]) -> int | None:
    """From the claim reaching the queue to a clerk first opening it."""
    queued = next((e.at for e in events if e.kind == EventKind.CLAIM_DECIDED
                   and e.actor == Actor.SYSTEM), None)
    opened = next((e.at for e in events if e.kind == EventKind.WORK_STARTED), None)
    return _seconds(queued, opened) if queued is not None else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _known(value: Any) -> int | None:
    return None if value is None else int(value)


def _active_seconds(events: list[LoggedEvent], submitted: LoggedEvent | None) -> int:
    """The passenger's time on task: from their first step to the submit, and on each
    answer later, with breaks over PASSENGER_IDLE left out."""
    steps = [e.at for e in events if e.actor == Actor.PASSENGER
             and e.kind not in (EventKind.STATUS_VIEWED, EventKind.SURVEY_ANSWERED)]
    total = timedelta()
    for before, after in pairwise(steps):
        if after - before <= PASSENGER_IDLE:
            total += after - before
    if submitted is not None and submitted.counts.get("active_ms") is not None:
        # The page's own measure of the form, when its script ran, is the better one.
        total = max(total, timedelta(milliseconds=int(submitted.counts["active_ms"])))
    return int(total.total_seconds())
