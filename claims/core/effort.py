"""Effort derived from a claim's event log (../shared/effort.md), never typed in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from types import MappingProxyType
from typing import Any, NamedTuple

from claims.core.vocabulary import DECIDED, Actor, EventKind, ReasonCode

# A stretch of work counts at most this long: a claim left open on a screen while the
# clerk is away is not handling time.
IDLE_CUTOFF = timedelta(minutes=10)


class LoggedEvent(NamedTuple):
    # A tuple, not a dataclass: an effort build makes ten million of them.
    at: datetime
    kind: str
    actor: str
    actor_id: int | None
    counts: Mapping[str, Any] = MappingProxyType({})
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


# The kinds whose counts the record reads: a build fetches no other event's counts.
COUNTED_KINDS = frozenset({EventKind.CLAIM_SUBMITTED, EventKind.OFFER_ACCEPTED,
                           EventKind.CLAIM_FORM_SHOWN, EventKind.CLAIM_FORM_REJECTED,
                           EventKind.INFO_REQUESTED})


def effort_record(claim: ClaimFacts, events: list[LoggedEvent]) -> tuple[dict[str, Any],
                                                                         set[str]]:
    """The claim's effort record and its drivers, from its events (and the events of its
    booking before the claim existed: the lookup and the form)."""
    events = sorted(events, key=_in_order)
    # One pass over the events, as a build makes a million records.
    kinds: Counter[str] = Counter()
    submitted = shown = None
    human = False
    paid_at = queued_at = opened_at = None
    rejected_forms: list[LoggedEvent] = []
    info_requested: list[LoggedEvent] = []
    status_views: list[datetime] = []
    passenger_steps: list[datetime] = []
    for event in events:
        kind = event.kind
        kinds[kind] += 1
        if event.actor == Actor.CLERK:
            human = True
        elif event.actor == Actor.PASSENGER and kind not in NOT_ON_TASK:
            passenger_steps.append(event.at)
        # The passenger's own act: filing the claim, or accepting the offer (one click).
        if kind in FILED and submitted is None:
            submitted = event
        elif kind == EventKind.CLAIM_FORM_SHOWN and shown is None:
            shown = event
        elif kind == EventKind.CLAIM_PAID and paid_at is None:
            paid_at = event.at
        elif kind == EventKind.CLAIM_FORM_REJECTED:
            rejected_forms.append(event)
        elif kind == EventKind.INFO_REQUESTED:
            info_requested.append(event)
        elif kind == EventKind.STATUS_VIEWED:
            status_views.append(event.at)
        elif kind == EventKind.CLAIM_DECIDED and event.actor == Actor.SYSTEM \
                and queued_at is None:
            queued_at = event.at  # the claim reached the clerks' queue
        elif kind == EventKind.WORK_STARTED and opened_at is None:
            opened_at = event.at
    submit_counts = submitted.counts if submitted else {}
    decided = claim.status in DECIDED and claim.decided_at is not None
    clerk = clerk_effort(events) if human else NO_CLERK
    record = {
        "claim_id": claim.claim_id, "operator_id": claim.operator_id, "regime": claim.regime,
        "path": _path(claim, human=human, decided=decided),
        "status": claim.status, "submitted_at": claim.submitted_at,
        "decision_seconds": _seconds(claim.submitted_at, claim.decided_at) if decided
        else None,
        "payout_seconds": _seconds(claim.submitted_at, paid_at),
        # From the claim reaching the queue to a clerk first opening it.
        "queue_seconds": _seconds(queued_at, opened_at) if queued_at is not None else None,
        "touchless_decision": decided and not human,
        "touchless_payout": decided and not human and paid_at is not None,
        "paid": paid_at is not None, "amount": claim.amount,
        "fields_shown": int((shown.counts if shown else submit_counts).get("fields_shown", 0)),
        "fields_prefilled": int((shown.counts if shown else {}).get("fields_prefilled", 0)),
        "fields_typed": int(submit_counts.get("fields_typed", 0)),
        "fields_changed": int(submit_counts.get("fields_changed", 0)),
        "keystrokes": _known(submit_counts.get("keystrokes")),
        "clicks": _known(submit_counts.get("clicks")),
        "active_seconds": _active_seconds(passenger_steps, submitted),
        "validation_errors": sum(int(e.counts.get("errors", 0)) for e in rejected_forms),
        "submit_attempts": len(rejected_forms) + (1 if submitted else 0),
        "steps": sum(kinds[kind] for kind in PASSENGER_STEPS),
        "uploads": kinds[EventKind.DOCUMENT_UPLOADED],
        "info_requests": len(info_requested),
        "contacts": 0 if submitted is None else sum(
            1 for at in status_views if at >= submitted.at),
        "appeals": kinds[EventKind.APPEALED],
        "clerk_seconds": int(clerk.seconds), "touches": clerk.touches, "clerks": clerk.clerks,
        "handovers": clerk.handovers,
        "jobs": kinds[EventKind.ASSESSMENT_STARTED] + sum(kinds[kind] for kind in NOTICE_EVENTS),
        "ces_score": claim.ces_score, "reason_codes": " ".join(claim.reason_codes) or None,
        "last_event_id": max((e.id for e in events), default=0),
    }
    drivers = {f"reason:{code}" for code in claim.reason_codes}
    # A typed field a reason stands for is that reason, counted once: the statement typed
    # is what made the rules send the claim on (the report showed the same claims twice).
    folded = {FIELD_OF_REASON.get(code) for code in claim.reason_codes}
    drivers |= {f"field:{name}" for name in str(submit_counts.get("fields", "")).split()
                if name not in folded}
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


def _in_order(event: LoggedEvent) -> tuple[datetime, int]:
    return event.at, event.id


FILED = (EventKind.CLAIM_SUBMITTED, EventKind.OFFER_ACCEPTED)
# The form field a reason code stands for: a driver of the reason's, not one of its own.
FIELD_OF_REASON = {ReasonCode.PASSENGER_STATEMENT.value: "statement"}
# A passenger's steps that are not time on the task of claiming.
NOT_ON_TASK = (EventKind.STATUS_VIEWED, EventKind.SURVEY_ANSWERED)
NO_CLERK = ClerkEffort(0.0, 0, 0, 0)


# The pages a passenger passes on the way to a filed claim, and answering a clerk.
PASSENGER_STEPS = {EventKind.BOOKING_FOUND, EventKind.CLAIM_FORM_SHOWN,
                   EventKind.CLAIM_FORM_REJECTED, EventKind.MANUAL_FORM_SHOWN,
                   EventKind.CLAIM_SUBMITTED, EventKind.INFO_PROVIDED, EventKind.APPEALED,
                   EventKind.OFFER_ACCEPTED, EventKind.OFFER_DECLINED}


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _known(value: Any) -> int | None:
    return None if value is None else int(value)


def _active_seconds(steps: list[datetime], submitted: LoggedEvent | None) -> int:
    """The passenger's time on task: from their first step to the submit, and on each
    answer later, with breaks over PASSENGER_IDLE left out."""
    total = timedelta()
    for before, after in pairwise(steps):
        if after - before <= PASSENGER_IDLE:
            total += after - before
    if submitted is not None and submitted.counts.get("active_ms") is not None:
        # The page's own measure of the form, when its script ran, is the better one.
        total = max(total, timedelta(milliseconds=int(submitted.counts["active_ms"])))
    return int(total.total_seconds())
