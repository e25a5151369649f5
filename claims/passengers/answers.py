"""The passenger's answers to the clerk: the detail asked for, and an objection."""


from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.names import surname_matches, surname_of
from claims.core.vocabulary import (
    PAYOUT_REASONS,
    Actor,
    ClaimStatus,
    EventKind,
    ReasonCode,
)
from claims.db.events import record_event
from claims.db.models import Claim, InfoRequest
from claims.db.types import utcnow
from claims.passengers.manual import add_document
from claims.processing.lifecycle import lock_claim, move
from claims.processing.objections import can_object

SessionFactory = sessionmaker[Session]


class AnswerRefused(ValueError):
    """The claim is not waiting for this answer (any more)."""


# The passenger's side ----------------------------------------------------------------

# The answers that change a fact the rules use: with one of them the rules run again.
RULE_FACTS = frozenset({"arrival_time", "price"})


@dataclass(frozen=True)
class InfoAnswer:
    """What the passenger gave, typed; only the items asked are read."""

    arrived_with_service: str | None = None
    arrival_time: time | None = None  # the time of day, at the destination
    price: Decimal | None = None
    cause: str | None = None  # the reason for the delay they were given
    statement: str | None = None
    answer: str | None = None  # to the clerk's own question
    iban: str | None = None
    holder: str | None = None


def provide_info(session_factory: SessionFactory, claim_id: int, given: InfoAnswer, *,
                 uploads: Path | None = None, document: bytes | None = None) -> bool:
    """info_requested -> needs_review, back in the queue with the answers, kept as data on
    the request. An answer that changes a fact the rules use sends the claim to the rules
    again (info_requested -> submitted): True, and the caller dispatches its assessment
    after the commit, as for any claim filed. A file is written with its row or not at
    all."""
    path: Path | None = None
    try:
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            if claim.status != ClaimStatus.INFO_REQUESTED:
                raise AnswerRefused("not-requested")
            asked = (claim.requested_info or "").split()
            request = _open_request(session, claim, asked)
            request.answered_at = utcnow()
            if "arrived_with_service" in asked:
                claim.arrived_with_service = given.arrived_with_service
                request.arrived_with_service = given.arrived_with_service
            if "arrival_time" in asked and given.arrival_time is not None:
                request.actual_arrival = arrival_instant(claim, given.arrival_time)
            if "price" in asked:
                request.price = given.price
            if "cause" in asked:
                request.cause = given.cause
            if "statement" in asked:
                request.statement = given.statement
            if "question" in asked:
                request.answer = given.answer
            if "iban" in asked:
                claim.payout_method, claim.payout_iban = "iban", given.iban
                claim.payout_holder = given.holder or claim.passenger_name
            if "document" in asked and document is not None and uploads is not None:
                stored, path = add_document(session, uploads, claim.id, "answer", document)
                request.document_id = stored.id
            rerun = claim.booking is not None and (
                request.actual_arrival is not None or request.price is not None
                or request.cause is not None)
            if rerun:
                _keep_outcome(request, claim)
                move(claim, ClaimStatus.SUBMITTED)
            else:
                move(claim, _after_answer(claim, asked))
            claim.requested_info = None
            record_event(session, EventKind.INFO_PROVIDED, Actor.PASSENGER, claim_id=claim.id,
                         items=len(asked), documents=int(request.document_id is not None),
                         rerun=int(rerun))
            return rerun
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise


def open_question(session_factory: SessionFactory, claim_id: int) -> str | None:
    """The clerk's own question the passenger has still to answer, if there is one."""
    with session_factory() as session:
        return session.scalars(select(InfoRequest.question).where(
            InfoRequest.claim_id == claim_id, InfoRequest.answered_at.is_(None))
            .order_by(InfoRequest.id.desc()).limit(1)).first()


def _open_request(session: Session, claim: Claim, asked: list[str]) -> InfoRequest:
    """The request being answered; made now for one asked before requests were kept."""
    request = session.scalars(select(InfoRequest).where(
        InfoRequest.claim_id == claim.id, InfoRequest.answered_at.is_(None))
        .order_by(InfoRequest.id.desc()).limit(1)).first()
    if request is None:
        request = InfoRequest(claim_id=claim.id, items=" ".join(asked))
        session.add(request)
    return request


def _keep_outcome(request: InfoRequest, claim: Claim) -> None:
    """The rules' outcome before the answer: the clerk sees it beside the new one."""
    request.rerun = True
    request.before_eligible, request.before_delay_minutes = claim.eligible, claim.delay_minutes
    request.before_percent, request.before_amount = claim.percent, claim.amount
    request.before_currency = claim.currency


# A passenger arriving more than this before the scheduled time arrived after midnight.
EARLY_TOLERANCE = timedelta(hours=2)


def arrival_instant(claim: Claim, typed: time) -> datetime | None:
    """The time of day the passenger typed, in the UTC offset of the journey's scheduled
    arrival at the destination, on the day that puts it from two hours before the
    scheduled arrival to 22 hours after it (after midnight where the train was late into
    the night). None where the claim has no scheduled arrival."""
    if claim.journey_legs:
        scheduled = claim.journey_legs[-1].scheduled_arrival
    elif claim.manual_journey and claim.manual_journey.get("scheduled_arrival"):
        journey = claim.manual_journey
        scheduled = datetime.combine(date.fromisoformat(journey["date"]),
                                     time.fromisoformat(journey["scheduled_arrival"]),
                                     tzinfo=UTC)
    else:
        return None
    actual = scheduled.replace(hour=typed.hour, minute=typed.minute, second=0,
                               microsecond=0)
    # The one instant of that time of day in [scheduled - 2 h, scheduled + 22 h).
    if actual < scheduled - EARLY_TOLERANCE:
        actual += timedelta(days=1)
    elif actual >= scheduled - EARLY_TOLERANCE + timedelta(days=1):
        actual -= timedelta(days=1)
    return actual


def _after_answer(claim: Claim, asked: list[str]) -> ClaimStatus:
    """Back to the clerk, unless all that was missing was where to pay an approved claim
    and the account is the passenger's own (the rule a typed IBAN meets at filing)."""
    codes = claim.reason_codes or []
    if asked != ["iban"] or ReasonCode.NO_PAYOUT_ACCOUNT.value not in codes:
        return ClaimStatus.NEEDS_REVIEW
    owner = claim.booking.passenger_name if claim.booking else claim.passenger_name
    if surname_matches(owner, surname_of(claim.payout_holder or "")):
        return ClaimStatus.APPROVED
    claim.reason_codes = [*codes, ReasonCode.PAYOUT_HOLDER_DIFFERS.value]
    return ClaimStatus.NEEDS_REVIEW


def appeal(session_factory: SessionFactory, claim_id: int, text: str, *,
           uploads: Path | None = None, document: bytes | None = None) -> None:
    """rejected -> needs_review with reason code appeal; once per claim. A payment made
    without a claim (proactive) may be objected to as well while it is not yet paid: the
    payment waits for the clerk. A file (a ticket, a receipt) may come with it, written
    with the objection or not at all."""
    if not text.strip():
        raise AnswerRefused("appeal-needs-text")
    path: Path | None = None
    try:
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            if not can_object(claim):
                raise AnswerRefused("no-appeal")
            move(claim, ClaimStatus.NEEDS_REVIEW)
            claim.appeal_text = text.strip()
            kept = [code for code in claim.reason_codes or () if code in PAYOUT_REASONS]
            claim.reason_codes = [*kept, ReasonCode.APPEAL.value]
            claim.assigned_to = claim.assigned_at = None
            record_event(session, EventKind.APPEALED, Actor.PASSENGER, claim_id=claim.id)
            if document is not None and uploads is not None:
                _stored, path = add_document(session, uploads, claim.id, "objection",
                                             document)
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
