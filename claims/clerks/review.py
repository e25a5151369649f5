"""The clerk's queue of edge cases, taking a claim from it, and the claim file with the
evidence side by side. Work on a claim is bracketed by work_started and work_ended events:
the effort reports derive clerk minutes from them. Decisions: claims.decisions_by_clerks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select, true
from sqlalchemy.orm import Session, load_only, selectinload, sessionmaker

from claims.core.amounts import CENT
from claims.core.effort import ClerkEffort, LoggedEvent, clerk_effort
from claims.core.journey import operations_key, service_day
from claims.core.policy import ANSWER_WITHIN, deadline
from claims.core.rules.engine import assess
from claims.core.rules.journey_input import Fare, JourneyInput
from claims.core.uk_accounts import mask_uk_account
from claims.core.vocabulary import AWAITING_CLERK, Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.dialect import json_array_contains, json_array_elements, local_date
from claims.db.events import append_page_view, record_event
from claims.db.models import (
    Booking,
    BookingLeg,
    Claim,
    ClaimDocument,
    ClaimEvent,
    InfoRequest,
    Operator,
    User,
)
from claims.db.types import utcnow
from claims.processing.assessment import operations_records
from claims.processing.bank_feedback import FailedPayment, failed_payment
from claims.processing.lifecycle import ClaimNotFound, lock_claim

SessionFactory = sessionmaker[Session]
# EU rail 2021/782 Art. 19(7): pay within one month of the claim. The queue is ordered by it.
PAYMENT_LIMIT = ANSWER_WITHIN
# The lowest band of the rail regimes (EU rail from 60 min, UK Delay Repay from 15): what
# a clerk starts from when nothing priced the claim.
FIRST_BAND = Decimal("0.25")
# What a clerk can ask a passenger for; the passenger's form shows just these. The fixed
# items are presets; "question" is the clerk's own question (its words are on the
# request), "document" a file the passenger may attach.
INFO_ITEMS = ("arrived_with_service", "arrival_time", "price", "cause", "statement", "iban",
              "question", "document")
# Rejection reasons a clerk can give, besides the rules' own.
REJECTION_REASONS = ("not-eligible", "extraordinary-circumstances", "past-deadline",
                     "duplicate", "no-evidence")


class Refusal(StrEnum):
    """Why a clerk's decision cannot be made as asked; the clerk's page words each."""

    AMOUNT_NOT_POSITIVE = "amount-not-positive"
    AMOUNT_NOT_CENTS = "amount-not-cents"
    AMOUNT_CHANGE_NEEDS_REASON = "amount-change-needs-reason"
    UNKNOWN_REASON = "unknown-reason"
    EXPLANATION_NEEDED = "explanation-needed"
    CHOOSE_INFO = "choose-info"
    QUESTION_NEEDED = "question-needed"  # "a question of my own" ticked, none written
    NOT_OPEN = "not-open"
    AMOUNT_NEEDS_REASON = "amount-needs-reason"      # the rules computed no amount
    SECOND_APPROVER_NEEDED = "second-approver-needed"
    TAKEN_BY_ANOTHER = "taken-by-another"
    # Part of the claim was paid before a raise came to a clerk: never less than that.
    BELOW_AMOUNT_PAID = "below-amount-paid"
    # The same journey was paid on its twin: paying again needs the clerk's reason.
    TWIN_PAID_NEEDS_REASON = "twin-paid-needs-reason"


class ReviewError(ValueError):
    """A decision that cannot be made as asked, with the reason as a code."""

    def __init__(self, code: Refusal) -> None:
        super().__init__(code.value)
        self.code = code


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
    number: int = 1
    size: int = 25

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


QUEUE_COLUMNS = (Claim.booking_id, Claim.operator_id, Claim.direction, Claim.submitted_at,
                 Claim.reason_codes, Claim.amount, Claim.currency, Claim.assigned_to)
# What the journey's direction is worked out from, and what its last leg shows.
QUEUE_LEG_COLUMNS = (BookingLeg.service, BookingLeg.origin, BookingLeg.destination,
                     BookingLeg.scheduled_departure, BookingLeg.scheduled_arrival,
                     BookingLeg.service_date)


def review_queue(session_factory: SessionFactory, wanted: QueueFilter = QueueFilter(),
                 page: int = 1, size: int = 25) -> QueuePage:
    """Claims waiting for a person, a page at a time: the nearest payment limit first
    (filed earliest), and of those filed together the oldest journey first."""
    with session_factory() as session:
        # Only the columns a queue line shows: a whole claim, booking and operator each
        # (an IBAN decrypted per row among them) was most of the queue's time.
        query = open_claims_query(select(Claim), wanted).options(
            load_only(*QUEUE_COLUMNS),
            selectinload(Claim.booking).load_only(Booking.reference, Booking.fare_kind)
            .selectinload(Booking.legs).load_only(*QUEUE_LEG_COLUMNS),
            selectinload(Claim.operator).load_only(Operator.name))
        journey_date = select(func.min(BookingLeg.scheduled_departure)).where(
            BookingLeg.booking_id == Claim.booking_id).correlate(Claim).scalar_subquery()
        claims = session.scalars(query.order_by(Claim.submitted_at, journey_date, Claim.id)
                                 .offset((max(page, 1) - 1) * size).limit(size)).all()
        takers = staff_emails(session, {c.assigned_to for c in claims if c.assigned_to})
        # Counted in the database: a storm day's thousands of open claims are not read.
        code = json_array_elements(session, Claim.reason_codes)
        counts = dict(session.execute(open_claims_query(
            select(code.c.value, func.count()).select_from(Claim).join(code, true()),
            replace(wanted, reason=None)).group_by(code.c.value)).all())
        total = session.scalar(select(func.count()).select_from(
            open_claims_query(select(Claim.id), wanted).subquery())) or 0
    return QueuePage(tuple(_entry(claim, takers) for claim in claims), total,
                     tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
                     number=max(page, 1), size=size)


def open_claims_query(query: Any, wanted: QueueFilter) -> Any:
    query = query.where(Claim.status.in_(AWAITING_CLERK))
    if wanted.reason:
        query = query.where(json_array_contains(Claim.reason_codes, wanted.reason))
    if wanted.operator:
        query = query.where(Claim.operator_id.in_(
            select(Operator.id).where(Operator.slug == wanted.operator)))
    if wanted.service or wanted.day:
        leg = select(BookingLeg.id).where(BookingLeg.booking_id == Claim.booking_id)
        if wanted.service:
            leg = leg.where(BookingLeg.service == wanted.service)
        if wanted.day:
            # The train's service day, as the queue shows it (core.journey.service_day).
            leg = leg.where(func.coalesce(BookingLeg.service_date,
                                          local_date(BookingLeg.scheduled_departure))
                            == wanted.day)
        query = query.where(exists(leg))
    return query


def _entry(claim: Claim, takers: dict[int, str]) -> QueueEntry:
    last = claim.journey_legs[-1] if claim.journey_legs else None
    return QueueEntry(
        claim_id=claim.id, operator=claim.operator.name,
        reference=claim.booking.reference if claim.booking else None,
        service=last.service if last else None,
        service_date=service_day(last) if last else None,
        submitted_at=claim.submitted_at, pay_by=claim.submitted_at + PAYMENT_LIMIT,
        reason_codes=tuple(claim.reason_codes or ()), amount=claim.amount,
        currency=claim.currency,
        taken_by=takers.get(claim.assigned_to) if claim.assigned_to else None)


def staff_emails(session: Session, user_ids: set[int]) -> dict[int, str]:
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
        if claim.status not in AWAITING_CLERK:
            return False
        take_into_work(session, claim, clerk_id)
        return True


def take_into_work(session: Session, claim: Claim, clerk_id: int) -> None:
    """Inside the caller's transaction, the claim locked: the clerk holds it (a handover
    when another did) and their work on it starts."""
    if claim.assigned_to != clerk_id:
        previous = claim.assigned_to
        claim.assigned_to, claim.assigned_at = clerk_id, utcnow()
        record_event(session, EventKind.CLAIM_TAKEN, Actor.CLERK, claim_id=claim.id,
                     actor_id=clerk_id, handover=int(previous is not None))
    start_work(session, claim.id, clerk_id)


def take_next(session_factory: SessionFactory, clerk_id: int,
              wanted: QueueFilter = QueueFilter()) -> int | None:
    """The clerk's own open claim, else the untaken one with the nearest payment limit."""
    with session_factory() as session:
        own = session.scalar(open_claims_query(select(Claim.id), wanted)
                             .where(Claim.assigned_to == clerk_id)
                             .order_by(Claim.submitted_at, Claim.id).limit(1))
        candidates = [own] if own else list(session.scalars(
            open_claims_query(select(Claim.id), wanted).where(
                Claim.assigned_to.is_(None),
                # Their own proposal waits for another person, not for them.
                or_(Claim.proposed_by.is_(None), Claim.proposed_by != clerk_id))
            .order_by(Claim.submitted_at, Claim.id).limit(20)))
    for claim_id in candidates:
        # Two clerks may reach for the same claim: the row lock lets one have it.
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            if claim.status in AWAITING_CLERK and claim.assigned_to in (None, clerk_id):
                claim.assigned_to, claim.assigned_at = clerk_id, utcnow()
                record_event(session, EventKind.CLAIM_TAKEN, Actor.CLERK, claim_id=claim.id,
                             actor_id=clerk_id, handover=0)
                start_work(session, claim.id, clerk_id)
                return claim_id
    return None


def release_claim(session_factory: SessionFactory, claim_id: int, clerk_id: int) -> None:
    """Back to the queue, untaken; the clerk's work on it ends."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.assigned_to == clerk_id:
            claim.assigned_to = claim.assigned_at = None
        end_work(session, claim.id, clerk_id)


def start_work(session: Session, claim_id: int, clerk_id: int) -> None:
    if _open_work(session, claim_id, clerk_id) is None:
        record_event(session, EventKind.WORK_STARTED, Actor.CLERK, claim_id=claim_id,
                     actor_id=clerk_id)


def end_work(session: Session, claim_id: int, clerk_id: int) -> None:
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
    # The train's service day, and the record's own scheduled arrival where it sent one:
    # beside the leg's, the clerk sees whether the record is the leg's train.
    service_date: date | None = None
    record_scheduled_arrival: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What the rules found: eligible or not, the delay, the band and the amount."""

    eligible: bool | None
    delay_minutes: int | None
    percent: int | None
    amount: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class AnswerView:
    """A clerk's request and the passenger's answer, as data for the page to word."""

    asked_at: datetime
    items: tuple[str, ...]
    question: str | None
    answered_at: datetime | None
    arrived_with_service: str | None
    actual_arrival: datetime | None
    price: Decimal | None
    cause: str | None
    statement: str | None
    answer: str | None
    document_id: int | None
    # The rules ran again with the answer: what they had found before it.
    before: Outcome | None


def _answers(session: Session, claim_id: int) -> tuple[AnswerView, ...]:
    return tuple(AnswerView(
        r.asked_at, tuple(r.items.split()), r.question, r.answered_at, r.arrived_with_service,
        r.actual_arrival, r.price, r.cause, r.statement, r.answer, r.document_id,
        Outcome(r.before_eligible, r.before_delay_minutes, r.before_percent, r.before_amount,
                r.before_currency) if r.rerun else None)
        for r in session.scalars(select(InfoRequest).where(InfoRequest.claim_id == claim_id)
                                 .order_by(InfoRequest.id)))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    clerk: str | None
    # One clerk opening the file again and again is one entry: how often, and since when.
    times: int = 1
    since: datetime | None = None


@dataclass(frozen=True)
class RelatedClaim:
    claim_id: int
    status: str
    passenger_name: str
    why: str  # "same-journey" (the twin), "same-booking" or "same-train"


@dataclass(frozen=True)
class Suggestion:
    amount: Decimal
    currency: str
    source: str  # "rules-on-passenger-times" or "first-band-of-fare"


@dataclass(frozen=True)
class Lateness:
    journey_on: datetime
    deadline: datetime
    days_late: int


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
    fare: Decimal | None
    fare_currency: str | None
    fare_kind: str | None
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
    explanation: str | None  # in the passenger's language: what they were told
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
    # A proposal above the second-approval limit, waiting for another person.
    proposed_amount: Decimal | None = None
    proposed_by: str | None = None
    proposed_note: str | None = None
    erased_at: datetime | None = None
    explanation_en: str | None = None
    explanation_de: str | None = None
    # Where the rules priced nothing: an amount to start from, and where it comes from.
    suggestion: Suggestion | None = None
    # A claim filed late: when the journey was, the deadline, and how late it came.
    lateness: Lateness | None = None
    # The latest payment the bank sent back (returned or refused), with its reason.
    returned: FailedPayment | None = None
    # A UK sort code and account number typed by the passenger, masked (mask_uk_account).
    payout_uk_account: str | None = None
    # What clerks asked and the passenger answered, oldest first.
    answers: tuple[AnswerView, ...] = ()

    @property
    def rules_before_answer(self) -> Outcome | None:
        """The rules' outcome before the latest answer that made them run again."""
        return next((a.before for a in reversed(self.answers) if a.before), None)

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.eligible, self.delay_minutes, self.percent, self.amount,
                       self.currency)


def claim_file(session_factory: SessionFactory, claim_id: int) -> ClaimFile:
    with session_factory() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ClaimNotFound(claim_id)
        booking = claim.booking
        legs = _evidence(session, claim)
        # Rows, not objects: a file opened hundreds of times has as many events.
        events = session.execute(_CLAIM_EVENTS, {"claim_id": claim.id}).all()
        clerks = staff_emails(session, {e.actor_id for e in events if e.actor_id} |
                              {i for i in (claim.assigned_to, claim.proposed_by) if i})
        german = claim.language.startswith("de")
        return ClaimFile(
            claim_id=claim.id, status=ClaimStatus(claim.status), operator=claim.operator.name,
            regime=claim.regime, reference=booking.reference if booking else None,
            language="de" if german else "en", passenger_name=claim.passenger_name,
            booking_name=booking.passenger_name if booking else None,
            passenger_email=claim.passenger_email,
            fare=booking.fare_amount if booking else None,
            fare_currency=booking.fare_currency if booking else None,
            fare_kind=booking.fare_kind if booking else None,
            payout_method=claim.payout_method,
            payout_iban=claim.payout_iban or (booking.payment_iban if booking and
                                              claim.payout_method != "uk-account" else None),
            payout_uk_account=mask_uk_account(claim.payout_sort_code,
                                              claim.payout_account_number) or None,
            statement=claim.statement, arrived_with_service=claim.arrived_with_service,
            appeal_text=claim.appeal_text,
            requested_info=tuple((claim.requested_info or "").split()), legs=legs,
            delay_minutes=claim.delay_minutes, eligible=claim.eligible, amount=claim.amount,
            currency=claim.currency, percent=claim.percent, rule=claim.rule,
            legal_basis=claim.legal_basis,
            explanation=claim.explanation_de if german else claim.explanation_en,
            reason_codes=tuple(claim.reason_codes or ()),
            submitted_at=claim.submitted_at, pay_by=claim.submitted_at + PAYMENT_LIMIT,
            taken_by=clerks.get(claim.assigned_to) if claim.assigned_to else None,
            assigned_to=claim.assigned_to,
            timeline=_timeline(events, clerks),
            related=_related(session, claim),
            effort=clerk_effort((LoggedEvent(e.at, e.kind, e.actor, e.actor_id)
                                 for e in events), now=utcnow()),
            manual_journey=claim.manual_journey,
            proposed_amount=claim.proposed_amount,
            proposed_by=clerks.get(claim.proposed_by) if claim.proposed_by else None,
            proposed_note=claim.proposed_note,
            erased_at=claim.erased_at,
            # Only where the rules could not price it (the delay unknown): a delay known
            # and below the threshold suggests nothing.
            suggestion=_suggestion(claim) if claim.delay_minutes is None else None,
            lateness=_lateness(claim),
            explanation_en=claim.explanation_en, explanation_de=claim.explanation_de,
            returned=failed_payment(session, claim.id),
            answers=_answers(session, claim.id),
            documents=tuple((d.id, d.kind, d.content_type, d.size) for d in session.scalars(
                select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)
                .order_by(ClaimDocument.id))))


# In the order they happened: an event written later about an earlier moment (a page
# view's minute, an import of the past) takes its place by its time.
_CLAIM_EVENTS = (select(ClaimEvent.at, ClaimEvent.kind, ClaimEvent.actor, ClaimEvent.actor_id)
                 .where(ClaimEvent.claim_id == bindparam("claim_id"))
                 .order_by(ClaimEvent.at, ClaimEvent.id))


def _timeline(events: Sequence[Any], clerks: Mapping[int, str]
              ) -> tuple[TimelineEntry, ...]:
    """The claim's events in order; a clerk's openings of the file one after another (each
    one kept in the audit) make one entry, so the timeline stays readable, and the page
    quick, on a file opened a hundred times."""
    entries: list[TimelineEntry] = []
    for event in events:
        clerk = clerks.get(event.actor_id) if event.actor_id else None
        last = entries[-1] if entries else None
        if (event.kind == EventKind.CLAIM_FILE_OPENED and last is not None
                and last.kind == event.kind and last.clerk == clerk):
            entries[-1] = replace(last, at=event.at, times=last.times + 1,
                                  since=last.since or last.at)
        else:
            entries.append(TimelineEntry(event.at, event.kind, event.actor, clerk))
    return tuple(entries)


def _suggestion(claim: Claim) -> Suggestion | None:
    """For a claim the rules could not price (no operations data, no booking): the rules
    run on the times the passenger gave, or else the first band of the fare (25 %), which
    the clerk checks against the evidence."""
    fare, currency = _fare_of(claim)
    if fare is None or currency is None or claim.regime == "eu-air":
        return None
    journey = claim.manual_journey or {}
    if journey.get("scheduled_arrival") and journey.get("actual_arrival"):
        day = date.fromisoformat(journey["date"])
        scheduled = datetime.combine(day, time.fromisoformat(journey["scheduled_arrival"]),
                                     tzinfo=UTC)
        actual = datetime.combine(day, time.fromisoformat(journey["actual_arrival"]),
                                  tzinfo=UTC)
        if actual < scheduled - timedelta(hours=2):
            actual += timedelta(days=1)  # arrived after midnight
        result = assess(JourneyInput(regime=claim.regime, scheduled_arrival=scheduled,
                                     actual_arrival=actual,
                                     fare=Fare(fare, currency, "single")))
        if result.eligible and result.amount > 0:
            return Suggestion(result.amount, currency, "rules-on-passenger-times")
        return None  # by the passenger's own times nothing is owed: no amount to propose
    return Suggestion((fare * FIRST_BAND).quantize(CENT), currency, "first-band-of-fare")


def _fare_of(claim: Claim) -> tuple[Decimal | None, str | None]:
    if claim.booking is not None:
        return claim.booking.fare_amount, claim.booking.fare_currency
    journey = claim.manual_journey or {}
    if journey.get("price"):
        return Decimal(journey["price"]), journey.get("currency")
    return None, None


def _lateness(claim: Claim) -> Lateness | None:
    if ReasonCode.PAST_DEADLINE.value not in (claim.reason_codes or ()) or \
            not claim.journey_legs:
        return None
    arrival = claim.journey_legs[-1].scheduled_arrival
    due = deadline(claim.regime, arrival)
    return Lateness(arrival, due, max((claim.submitted_at.date() - due.date()).days, 0))


def _evidence(session: Session, claim: Claim) -> tuple[LegEvidence, ...]:
    if claim.booking is None:
        return ()
    records = operations_records(session, [claim.booking]).get(claim.operator_id, {})
    evidence = []
    for leg in claim.journey_legs:
        record = records.get(operations_key(leg))
        evidence.append(LegEvidence(
            leg.service, leg.origin, leg.destination, leg.scheduled_departure,
            leg.scheduled_arrival, record.actual_arrival if record else None,
            record.cancelled if record else None, record.cause if record else None,
            service_date=service_day(leg),
            record_scheduled_arrival=record.scheduled_arrival if record else None))
    return tuple(evidence)


def _related(session: Session, claim: Claim) -> tuple[RelatedClaim, ...]:
    """The claim for the same journey on another path, if one was found (the twin, first);
    other claims on the same booking (the other direction of a return), and by anyone on
    the same train to the same stop."""
    twin = session.get(Claim, claim.twin_claim_id) if claim.twin_claim_id else None
    first = (RelatedClaim(twin.id, twin.status, twin.passenger_name, "same-journey"),) \
        if twin is not None else ()
    if claim.booking is None or not claim.journey_legs:
        return first
    last = claim.journey_legs[-1]
    on_train = select(BookingLeg.booking_id).where(
        BookingLeg.service == last.service, BookingLeg.destination == last.destination,
        BookingLeg.scheduled_arrival == last.scheduled_arrival)
    rows = session.execute(
        select(Claim.id, Claim.status, Claim.passenger_name, Claim.booking_id)
        .where(Claim.id != claim.id, Claim.operator_id == claim.operator_id,
               or_(Claim.booking_id == claim.booking_id, Claim.booking_id.in_(on_train)))
        .order_by(Claim.id).limit(50)).all()
    return first + tuple(
        RelatedClaim(i, status, name,
                     "same-booking" if booking_id == claim.booking_id else "same-train")
        for i, status, name, booking_id in rows if twin is None or i != twin.id)


def note_file_opened(session_factory: SessionFactory, claim_id: int, staff_id: int) -> None:
    """Who looked at whose personal data, and when: managers read it (the audit). A
    page view: once a minute for the clerk and the claim, however often it is reloaded."""
    append_page_view(session_factory, EventKind.CLAIM_FILE_OPENED, Actor.CLERK,
                     claim_id=claim_id, actor_id=staff_id)


@dataclass(frozen=True)
class FileOpening:
    at: datetime
    staff: str
    claim_id: int


def file_openings(session_factory: SessionFactory, claim_id: int | None = None,
                  limit: int = 200) -> list[FileOpening]:
    """The newest openings of claim files first; of one claim, or of all."""
    query = (select(ClaimEvent.at, User.email, ClaimEvent.claim_id)
             .join(User, User.id == ClaimEvent.actor_id)
             .where(ClaimEvent.kind == EventKind.CLAIM_FILE_OPENED)
             .order_by(ClaimEvent.id.desc()).limit(limit))
    if claim_id is not None:
        query = query.where(ClaimEvent.claim_id == claim_id)
    with session_factory() as session:
        return [FileOpening(at, email, opened) for at, email, opened in session.execute(query)
                if opened is not None]
