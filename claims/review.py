"""The clerk's side of a claim: the queue of edge cases, taking a claim, and deciding it.

Every decision is a transition with its own transaction and an event carrying the clerk's
id; the passenger hears of it by e-mail (the caller queues the notice after the commit).
Work on a claim is bracketed by work_started and work_ended events: the effort reports
derive clerk minutes from them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, exists, select, type_coerce
from sqlalchemy.orm import Session, selectinload, sessionmaker

from claims.assessment import booking_facts, facts_for, operator_policy
from claims.decision import ReasonCode, journey_input
from claims.effort import ClerkEffort, LoggedEvent, clerk_effort
from claims.events import record_event
from claims.journey import JourneyFacts
from claims.lifecycle import ClaimNotFound, lock_claim, move
from claims.models import (
    Actor,
    Booking,
    BookingLeg,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimStatus,
    EventKind,
    OperationsRecord,
    Operator,
    User,
)
from claims.rules.engine import assess
from claims.rules.result import Assessment
from claims.types import utcnow

SessionFactory = sessionmaker[Session]
# EU rail 2021/782 Art. 19(7): pay within one month of the claim. The queue is ordered by it.
PAYMENT_LIMIT = timedelta(days=30)
# What a clerk can ask a passenger for; the passenger's form shows just these.
INFO_ITEMS = ("arrived_with_service", "arrival_time", "statement", "iban")
# Rejection reasons a clerk can give, besides the rules' own.
REJECTION_REASONS = ("not-eligible", "extraordinary-circumstances", "past-deadline",
                     "duplicate", "no-evidence")
# The claims a clerk may decide: those waiting for a person.
OPEN = (ClaimStatus.NEEDS_REVIEW,)


class ReviewError(ValueError):
    """A decision that cannot be made as asked; the message says why, for the clerk."""


@dataclass(frozen=True)
class QueueFilter:
    reason: str | None = None
    operator: str | None = None
    service: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class QueueEntry:
    claim_id: int
    operator: str
    reference: str | None
    service: str | None
    service_date: date | None
    submitted_at: datetime
    pay_by: datetime
    reason_codes: tuple[str, ...]
    amount: Decimal | None
    currency: str | None
    taken_by: str | None


@dataclass(frozen=True)
class QueuePage:
    entries: tuple[QueueEntry, ...]
    total: int
    reason_counts: tuple[tuple[str, int], ...]
    operators: tuple[tuple[str, str], ...]


def review_queue(session_factory: SessionFactory, wanted: QueueFilter = QueueFilter(),
                 limit: int = 100) -> QueuePage:
    """Claims waiting for a person, the nearest payment limit first."""
    with session_factory() as session:
        query = _filtered(select(Claim), wanted).options(
            selectinload(Claim.booking).selectinload(Booking.legs),
            selectinload(Claim.operator))
        claims = session.scalars(query.order_by(Claim.submitted_at, Claim.id)
                                 .limit(limit)).all()
        takers = _emails(session, {c.assigned_to for c in claims if c.assigned_to})
        counts: Counter[str] = Counter()
        for codes in session.scalars(_filtered(select(Claim.reason_codes),
                                               replace(wanted, reason=None))):
            counts.update((codes or "").split())
        total = sum(1 for _ in session.scalars(_filtered(select(Claim.id), wanted)))
        operators = tuple((slug, name) for slug, name in session.execute(
            select(Operator.slug, Operator.name).order_by(Operator.name)))
    return QueuePage(tuple(_entry(claim, takers) for claim in claims), total,
                     tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
                     operators)


def _filtered(query: Any, wanted: QueueFilter) -> Any:
    query = query.where(Claim.status.in_(OPEN))
    if wanted.reason:
        # Codes are space-separated words: pad both sides so "appeal" matches only itself.
        query = query.where((" " + Claim.reason_codes + " ").contains(f" {wanted.reason} "))
    if wanted.operator:
        query = query.where(Claim.operator_id.in_(
            select(Operator.id).where(Operator.slug == wanted.operator)))
    if wanted.service or wanted.day:
        leg = select(BookingLeg.id).where(BookingLeg.booking_id == Claim.booking_id)
        if wanted.service:
            leg = leg.where(BookingLeg.service == wanted.service)
        if wanted.day:
            # Stored as ISO text with the local offset: the prefix is the local date.
            leg = leg.where(type_coerce(BookingLeg.scheduled_departure, String)
                            .startswith(wanted.day.isoformat()))
        query = query.where(exists(leg))
    return query


def _entry(claim: Claim, takers: dict[int, str]) -> QueueEntry:
    last = claim.booking.legs[-1] if claim.booking and claim.booking.legs else None
    return QueueEntry(
        claim_id=claim.id, operator=claim.operator.name,
        reference=claim.booking.reference if claim.booking else None,
        service=last.service if last else None,
        service_date=last.scheduled_departure.date() if last else None,
        submitted_at=claim.submitted_at, pay_by=claim.submitted_at + PAYMENT_LIMIT,
        reason_codes=tuple((claim.reason_codes or "").split()), amount=claim.amount,
        currency=claim.currency,
        taken_by=takers.get(claim.assigned_to) if claim.assigned_to else None)


def _emails(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {user_id: email for user_id, email in session.execute(
        select(User.id, User.email).where(User.id.in_(user_ids)))}


# Taking and working on a claim ---------------------------------------------------------

def take_claim(session_factory: SessionFactory, claim_id: int, clerk_id: int) -> bool:
    """The clerk takes the claim (from whoever had it: a handover) and starts work on it.
    False when the claim is no longer waiting for a person."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status not in OPEN:
            return False
        if claim.assigned_to != clerk_id:
            previous = claim.assigned_to
            claim.assigned_to, claim.assigned_at = clerk_id, utcnow()
            record_event(session, EventKind.CLAIM_TAKEN, Actor.CLERK, claim_id=claim.id,
                         actor_id=clerk_id, handover=int(previous is not None))
        _start_work(session, claim.id, clerk_id)
        return True


def take_next(session_factory: SessionFactory, clerk_id: int,
              wanted: QueueFilter = QueueFilter()) -> int | None:
    """The clerk's own open claim, else the untaken one with the nearest payment limit."""
    with session_factory() as session:
        own = session.scalar(_filtered(select(Claim.id), wanted)
                             .where(Claim.assigned_to == clerk_id)
                             .order_by(Claim.submitted_at, Claim.id).limit(1))
        candidates = [own] if own else list(session.scalars(
            _filtered(select(Claim.id), wanted).where(Claim.assigned_to.is_(None))
            .order_by(Claim.submitted_at, Claim.id).limit(20)))
    for claim_id in candidates:
        # Two clerks may reach for the same claim: the row lock lets one have it.
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            if claim.status in OPEN and claim.assigned_to in (None, clerk_id):
                claim.assigned_to, claim.assigned_at = clerk_id, utcnow()
                record_event(session, EventKind.CLAIM_TAKEN, Actor.CLERK, claim_id=claim.id,
                             actor_id=clerk_id, handover=0)
                _start_work(session, claim.id, clerk_id)
                return claim_id
    return None


def release_claim(session_factory: SessionFactory, claim_id: int, clerk_id: int) -> None:
    """Back to the queue, untaken; the clerk's work on it ends."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.assigned_to == clerk_id:
            claim.assigned_to = claim.assigned_at = None
        _end_work(session, claim.id, clerk_id)


def _start_work(session: Session, claim_id: int, clerk_id: int) -> None:
    if _open_work(session, claim_id, clerk_id) is None:
        record_event(session, EventKind.WORK_STARTED, Actor.CLERK, claim_id=claim_id,
                     actor_id=clerk_id)


def _end_work(session: Session, claim_id: int, clerk_id: int) -> None:
    started = _open_work(session, claim_id, clerk_id)
    if started is not None:
        record_event(session, EventKind.WORK_ENDED, Actor.CLERK, claim_id=claim_id,
                     actor_id=clerk_id,
                     seconds=int((utcnow() - started).total_seconds()))


def _open_work(session: Session, claim_id: int, clerk_id: int) -> datetime | None:
    """When the clerk's current stretch of work on the claim began, if one is open."""
    last = session.execute(
        select(ClaimEvent.kind, ClaimEvent.at).where(
            ClaimEvent.claim_id == claim_id, ClaimEvent.actor_id == clerk_id,
            ClaimEvent.kind.in_([EventKind.WORK_STARTED, EventKind.WORK_ENDED]))
        .order_by(ClaimEvent.id.desc()).limit(1)).first()
    return last.at if last is not None and last.kind == EventKind.WORK_STARTED else None


# The claim file: everything a clerk needs, side by side ------------------------------

@dataclass(frozen=True)
class LegEvidence:
    service: str
    origin: str
    destination: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    actual_arrival: datetime | None
    cancelled: bool | None
    cause: str | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    clerk: str | None


@dataclass(frozen=True)
class RelatedClaim:
    claim_id: int
    status: str
    passenger_name: str
    why: str  # "same-booking" or "same-train"


@dataclass(frozen=True)
class ClaimFile:
    claim_id: int
    status: ClaimStatus
    operator: str
    regime: str
    reference: str | None
    language: str
    passenger_name: str
    booking_name: str | None
    passenger_email: str | None
    fare: str | None
    payout_method: str
    payout_iban: str | None
    statement: str | None
    arrived_with_service: str | None
    appeal_text: str | None
    requested_info: tuple[str, ...]
    legs: tuple[LegEvidence, ...]
    delay_minutes: int | None
    eligible: bool | None
    amount: Decimal | None
    currency: str | None
    percent: int | None
    rule: str | None
    legal_basis: str | None
    explanation: str | None
    reason_codes: tuple[str, ...]
    submitted_at: datetime
    pay_by: datetime
    taken_by: str | None
    assigned_to: int | None
    timeline: tuple[TimelineEntry, ...]
    related: tuple[RelatedClaim, ...]
    effort: ClerkEffort
    manual_journey: dict[str, str] | None
    documents: tuple[tuple[int, str, str, int], ...]  # id, kind, content type, bytes


def claim_file(session_factory: SessionFactory, claim_id: int) -> ClaimFile:
    with session_factory() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ClaimNotFound(claim_id)
        booking = claim.booking
        legs = _evidence(session, booking) if booking else ()
        events = session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id)
                                 .order_by(ClaimEvent.id)).all()
        clerks = _emails(session, {e.actor_id for e in events if e.actor_id} |
                         ({claim.assigned_to} if claim.assigned_to else set()))
        german = claim.language.startswith("de")
        return ClaimFile(
            claim_id=claim.id, status=ClaimStatus(claim.status), operator=claim.operator.name,
            regime=claim.regime, reference=booking.reference if booking else None,
            language="de" if german else "en", passenger_name=claim.passenger_name,
            booking_name=booking.passenger_name if booking else None,
            passenger_email=claim.passenger_email,
            fare=f"{booking.fare_amount} {booking.fare_currency} ({booking.fare_kind})"
            if booking else None,
            payout_method=claim.payout_method,
            payout_iban=claim.payout_iban or (booking.payment_iban if booking else None),
            statement=claim.statement, arrived_with_service=claim.arrived_with_service,
            appeal_text=claim.appeal_text,
            requested_info=tuple((claim.requested_info or "").split()), legs=legs,
            delay_minutes=claim.delay_minutes, eligible=claim.eligible, amount=claim.amount,
            currency=claim.currency, percent=claim.percent, rule=claim.rule,
            legal_basis=claim.legal_basis,
            explanation=claim.explanation_de if german else claim.explanation_en,
            reason_codes=tuple((claim.reason_codes or "").split()),
            submitted_at=claim.submitted_at, pay_by=claim.submitted_at + PAYMENT_LIMIT,
            taken_by=clerks.get(claim.assigned_to) if claim.assigned_to else None,
            assigned_to=claim.assigned_to,
            timeline=tuple(TimelineEntry(e.at, e.kind, e.actor,
                                         clerks.get(e.actor_id) if e.actor_id else None)
                           for e in events),
            related=_related(session, claim),
            effort=clerk_effort(LoggedEvent(e.at, e.kind, e.actor, e.actor_id)
                                for e in events),
            manual_journey=claim.manual_journey,
            documents=tuple((d.id, d.kind, d.content_type, d.size) for d in session.scalars(
                select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)
                .order_by(ClaimDocument.id))))


def _evidence(session: Session, booking: Booking) -> tuple[LegEvidence, ...]:
    keys = {(leg.service, leg.scheduled_departure.date(), leg.destination)
            for leg in booking.legs}
    records = {(r.service, r.service_date, r.stop): r for r in session.scalars(
        select(OperationsRecord).where(OperationsRecord.operator_id == booking.operator_id,
                                       OperationsRecord.service.in_({k[0] for k in keys})))}
    evidence = []
    for leg in booking.legs:
        record = records.get((leg.service, leg.scheduled_departure.date(), leg.destination))
        evidence.append(LegEvidence(
            leg.service, leg.origin, leg.destination, leg.scheduled_departure,
            leg.scheduled_arrival, record.actual_arrival if record else None,
            record.cancelled if record else None, record.cause if record else None))
    return tuple(evidence)


def _related(session: Session, claim: Claim) -> tuple[RelatedClaim, ...]:
    """Other claims on the same booking, and by anyone on the same train to the same stop."""
    if claim.booking is None or not claim.booking.legs:
        return ()
    last = claim.booking.legs[-1]
    rows = session.execute(
        select(Claim.id, Claim.status, Claim.passenger_name, Claim.booking_id)
        .join(BookingLeg, BookingLeg.booking_id == Claim.booking_id)
        .where(Claim.id != claim.id, Claim.operator_id == claim.operator_id,
               BookingLeg.service == last.service, BookingLeg.destination == last.destination,
               BookingLeg.scheduled_arrival == last.scheduled_arrival)
        .order_by(Claim.id).limit(50)).all()
    return tuple(RelatedClaim(i, status, name,
                              "same-booking" if booking_id == claim.booking_id else "same-train")
                 for i, status, name, booking_id in rows)


# Decisions --------------------------------------------------------------------------

def approve(session_factory: SessionFactory, claim_id: int, clerk_id: int, *,
            amount: Decimal, note: str | None = None) -> None:
    """needs_review -> approved at the rules' amount, or at another with a reason."""
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id)
        if amount <= 0:
            raise ReviewError("amount-not-positive")
        # Without a proposal from the rules (no booking, no data) the clerk sets the amount.
        changed = claim.amount is not None and claim.eligible is True and amount != claim.amount
        if changed and not (note or "").strip():
            raise ReviewError("amount-change-needs-reason")
        claim.amount = amount
        claim.currency = claim.currency or _fare_currency(claim)
        claim.eligible = True
        if changed:
            claim.clerk_note = (note or "").strip()
        _decide(session, claim, ClaimStatus.APPROVED, clerk_id, amount_changed=int(changed))


def reject(session_factory: SessionFactory, claim_id: int, clerk_id: int, *, reason: str,
           explanation: str) -> None:
    """needs_review -> rejected, with a reason code and an explanation in the passenger's
    language (it replaces the rules' explanation in both languages: it is the one given)."""
    if reason not in REJECTION_REASONS:
        raise ReviewError("unknown-reason")
    if not explanation.strip():
        raise ReviewError("explanation-needed")
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id)
        # The rules' amount stays on record: an appeal starts from it.
        claim.eligible = False
        claim.rule = f"clerk.{reason}"
        claim.explanation_en = claim.explanation_de = explanation.strip()
        _decide(session, claim, ClaimStatus.REJECTED, clerk_id)


def request_info(session_factory: SessionFactory, claim_id: int, clerk_id: int,
                 items: Sequence[str]) -> None:
    """needs_review -> info_requested: the passenger gets a form with just these items."""
    chosen = [item for item in INFO_ITEMS if item in items]
    if not chosen or len(chosen) != len(set(items)):
        raise ReviewError("choose-info")
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id)
        move(claim, ClaimStatus.INFO_REQUESTED)
        claim.requested_info = " ".join(chosen)
        record_event(session, EventKind.INFO_REQUESTED, Actor.CLERK, claim_id=claim.id,
                     actor_id=clerk_id, items=len(chosen), asked=" ".join(chosen))
        _end_work(session, claim.id, clerk_id)


def _open_claim(session: Session, claim_id: int) -> Claim:
    claim = lock_claim(session, claim_id)
    if claim.status not in OPEN:
        raise ReviewError("not-open")
    return claim


def _fare_currency(claim: Claim) -> str | None:
    if claim.booking is not None:
        return claim.booking.fare_currency
    return (claim.manual_journey or {}).get("currency")


def _decide(session: Session, claim: Claim, status: ClaimStatus, clerk_id: int,
            **counts: int) -> None:
    move(claim, status)
    claim.decided_at = utcnow()
    claim.assigned_to = clerk_id
    record_event(session, EventKind.CLAIM_DECIDED, Actor.CLERK, claim_id=claim.id,
                 actor_id=clerk_id, decision=status.value, **counts)
    _end_work(session, claim.id, clerk_id)


# Cohorts: one service on one date, decided together after one review -----------------

@dataclass(frozen=True)
class Cohort:
    operator: str
    service: str
    day: date
    claims: int


@dataclass(frozen=True)
class CohortResult:
    decided: tuple[tuple[int, ClaimStatus], ...]
    left: tuple[int, ...]  # claims the rules cannot decide even with the cause confirmed


def cohorts(session_factory: SessionFactory, minimum: int = 2) -> list[Cohort]:
    """Open claims grouped by the service and date of their last leg, largest first."""
    with session_factory() as session:
        claims = session.scalars(select(Claim).where(Claim.status.in_(OPEN))
                                 .options(selectinload(Claim.booking)
                                          .selectinload(Booking.legs),
                                          selectinload(Claim.operator))).all()
        groups: Counter[tuple[str, str, date]] = Counter()
        for claim in claims:
            if claim.booking and claim.booking.legs:
                last = claim.booking.legs[-1]
                groups[(claim.operator.slug, last.service,
                        last.scheduled_departure.date())] += 1
    return [Cohort(operator, service, day, n)
            for (operator, service, day), n in groups.most_common() if n >= minimum]


def cohort_claims(session_factory: SessionFactory, operator: str, service: str,
                  day: date) -> list[int]:
    wanted = QueueFilter(operator=operator, service=service, day=day)
    with session_factory() as session:
        return list(session.scalars(_filtered(select(Claim.id), wanted).order_by(Claim.id)))


def decide_cohort(session_factory: SessionFactory, claim_ids: Sequence[int], clerk_id: int,
                  *, cause: str) -> CohortResult:
    """The clerk confirmed the cause of the disruption for the whole cohort: the rules
    decide each claim again with that cause, each in its own transaction, with its own
    event (and so its own notice and letter)."""
    decided: list[tuple[int, ClaimStatus]] = []
    left: list[int] = []
    for claim_id in claim_ids:
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            if claim.status not in OPEN or claim.booking is None:
                left.append(claim_id)
                continue
            facts = replace(facts_for(session, [claim.booking])[claim.booking.id], cause=cause)
            outcome = _assess_with(claim.booking, facts)
            if outcome is None:
                left.append(claim_id)
                continue
            claim.eligible, claim.amount = outcome.eligible, outcome.amount
            claim.currency, claim.percent = outcome.currency, outcome.percent
            claim.rule, claim.legal_basis = outcome.rule, outcome.legal_basis
            claim.explanation_en = outcome.explanation_en
            claim.explanation_de = outcome.explanation_de
            status = ClaimStatus.APPROVED if outcome.eligible else ClaimStatus.REJECTED
            _decide(session, claim, status, clerk_id, cohort=len(claim_ids))
            decided.append((claim_id, status))
    return CohortResult(tuple(decided), tuple(left))


def _assess_with(booking: Booking, facts: JourneyFacts) -> Assessment | None:
    if not facts.has_operations_data:
        return None
    result = assess(journey_input(booking_facts(booking), facts,
                                  operator_policy(booking.operator)))
    return None if result.rule.endswith("arrival-unknown") else result


# The passenger's side ----------------------------------------------------------------

def provide_info(session_factory: SessionFactory, claim_id: int,
                 answers: dict[str, str]) -> None:
    """info_requested -> needs_review, back in the queue with the answers."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.INFO_REQUESTED:
            raise ReviewError("not-requested")
        asked = (claim.requested_info or "").split()
        if "arrived_with_service" in asked:
            claim.arrived_with_service = answers["arrived_with_service"]
        notes = [claim.statement] if claim.statement else []
        if "arrival_time" in asked:
            notes.append(f"Arrival time: {answers['arrival_time']}")
        if "statement" in asked:
            notes.append(answers["statement"])
        claim.statement = "\n\n".join(notes) or None
        if "iban" in asked:
            claim.payout_method, claim.payout_iban = "iban", answers["iban"]
            claim.payout_holder = answers.get("holder") or claim.passenger_name
        move(claim, ClaimStatus.NEEDS_REVIEW)
        claim.requested_info = None
        record_event(session, EventKind.INFO_PROVIDED, Actor.PASSENGER, claim_id=claim.id,
                     items=len(asked))


def appeal(session_factory: SessionFactory, claim_id: int, text: str) -> None:
    """rejected -> needs_review with reason code appeal; once per claim."""
    if not text.strip():
        raise ReviewError("appeal-needs-text")
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.REJECTED or claim.appeal_text is not None:
            raise ReviewError("no-appeal")
        move(claim, ClaimStatus.NEEDS_REVIEW)
        claim.appeal_text = text.strip()
        claim.reason_codes = ReasonCode.APPEAL.value
        claim.assigned_to = claim.assigned_at = None
        record_event(session, EventKind.APPEALED, Actor.PASSENGER, claim_id=claim.id)

