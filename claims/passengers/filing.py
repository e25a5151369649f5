"""The passenger path's use cases. Each owns its transaction; views and jobs call them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from claims.core.amounts import amount_text
from claims.core.journey import JourneyFacts, journey_facts, legs_by_direction
from claims.core.policy import ANSWER_WITHIN, Decision
from claims.core.uk_accounts import mask_uk_account
from claims.core.vocabulary import DECIDED, Actor, ClaimStatus, Direction, EventKind, Origin
from claims.db.dialect import chains_writes
from claims.db.engine import each_statement_alone, prepared
from claims.db.events import (
    append_event,
    append_page_view,
    insert_event,
    note_page_view,
    page_view_key,
    record_event,
)
from claims.db.models import Booking, BookingLeg, Claim, ClaimEvent, Payout
from claims.db.types import utcnow
from claims.passengers import escalation
from claims.passengers.booking_reads import (
    BookingToFile,
    LegView,
    booking_on_page,
    booking_to_file,
    found_bookings,
)
from claims.passengers.claim_writes import (
    CLAIM_FIELDS,
    PREFILLED_FIELDS,
    ClaimInput,
    insert_claim,
    insert_claim_alone,
    new_claim,
)
from claims.processing.assessment import preview
from claims.processing.lifecycle import (
    ClaimNotFound,
    IllegalTransition,
    lock_claim,
    move,
    record_refusal,
)
from claims.processing.objections import can_object, finally_rejected, objection_deadline
from claims.processing.payouts import compensation_payout
from claims.processing.status_links import claim_of as claim_of_link
from claims.processing.status_links import issue as issue_link_in

SessionFactory = sessionmaker[Session]


@dataclass(frozen=True)
class JourneyDraft:
    """One journey of the booking (a direction of a return ticket), as the rules see it."""

    direction: str
    legs: tuple[LegView, ...]
    facts: JourneyFacts
    preview: Decision
    existing_claim_id: int | None


@dataclass(frozen=True)
class ClaimDraft:
    booking_id: int
    operator_name: str
    reference: str
    regime: str
    passenger_name: str
    passenger_email: str | None
    payment_iban: str | None
    journeys: tuple[JourneyDraft, ...]
    # The fare's currency: a GBP booking may be paid to a UK sort code and account.
    fare_currency: str = "EUR"

    @property
    def open_journeys(self) -> tuple[JourneyDraft, ...]:
        return tuple(j for j in self.journeys if j.existing_claim_id is None)

    @property
    def existing_claim_id(self) -> int | None:
        """Every journey claimed already: the first claim, to show its status."""
        if self.open_journeys:
            return None
        return self.journeys[0].existing_claim_id


@dataclass(frozen=True)
class SubmitResult:
    claim_id: int
    created: bool
    # A status link's token, made in the same transaction when the caller asked for one.
    status_token: str | None = None


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    actor: str


@dataclass(frozen=True)
class ClaimView:
    claim_id: int
    status: ClaimStatus
    operator_name: str
    reference: str | None
    passenger_name: str
    legs: tuple[LegView, ...]
    submitted_at: datetime
    decided_at: datetime | None
    delay_minutes: int | None
    eligible: bool | None
    amount: str | None
    currency: str | None
    percent: int | None
    rule: str | None
    legal_basis: str | None
    explanation: str | None
    reason_codes: tuple[str, ...]
    events: tuple[EventView, ...]
    # What a clerk asked for, while the claim waits for it.
    requested_info: tuple[str, ...] = ()
    # A rejected claim may be objected to once.
    can_appeal: bool = False
    # CES 2.0 is asked once, after the decision.
    can_answer_survey: bool = False
    survey_answered: bool = False
    payout_method: str = "account"
    # Where the money goes; pages show it masked.
    payout_iban: str | None = None
    # A UK sort code and account number, masked already (mask_uk_account).
    payout_uk_account: str | None = None
    # For the EU common form: the passenger's own details and the ticket.
    passenger_email: str | None = None
    fare: tuple[str, str, str] | None = None  # amount, currency, kind
    manual_journey: dict[str, str] | None = None
    paid_at: datetime | None = None
    answer_by: datetime | None = None
    # A return ticket: which journey this claim is for, and the claims of its other one.
    direction: str | None = None
    other_journeys: tuple[tuple[str, int], ...] = ()
    # Started by the operations data (an offer, a payment), not filed by the passenger.
    proactive: bool = False
    account_on_file: str | None = None
    regime: str = "eu-rail"
    # Until when an objection is open (the letter names the date), while it is.
    objection_by: datetime | None = None
    # Rejected with no objection left: the bodies the passenger may turn to instead.
    final_rejection: bool = False
    bodies: tuple[escalation.Body, ...] = ()
    sender: escalation.Sender | None = None

    @property
    def common_form(self) -> bool:
        """The EU common form (Implementing Regulation (EU) 2024/949) is for rail claims
        under Regulation (EU) 2021/782 only: not for flights, nor for Delay Repay."""
        return self.regime == "eu-rail"


# The passenger's path's statements are built once, with bound parameters: built anew for
# each request, SQLAlchemy constructs and keys each one in Python again (0.15 ms of a
# 0.4 ms look-up, 0.24 ms of the booking's, measured). They are in
# claims.passengers.booking_reads, and select the tables' columns, not the mapped
# classes': a statement of mapped attributes goes through the ORM's result machinery even
# when it selects plain columns.
_claims = cast(Table, Claim.__table__)
_CLAIMS_OF_BOOKING = prepared(select(_claims.c.direction, _claims.c.id).where(
    _claims.c.booking_id == bindparam("booking_id")))


@dataclass(frozen=True)
class LookUp:
    """What a reference and surname found: one booking, or the operators to choose from
    when several operators' bookings answer to them (names only: nothing of a passenger
    is shown before the choice), or neither."""

    booking_id: int | None
    # (slug, name) of each operator whose booking matched, when there are several.
    operators: tuple[tuple[str, str], ...] = ()
    # The booking found has a claim filed on it already.
    claimed: bool = False
    # Its access version, read with it: what the passenger's session begins with.
    access_version: int = 0


def look_up(session_factory: SessionFactory, reference: str, surname: str, *,
            operator: str | None = None, record_lookup: bool = True) -> LookUp:
    """The booking with this reference whose passenger has this surname (of the operator
    chosen, by its slug); or, where several operators have one, the operators to ask the
    passenger about. Never one of several by some order: another operator's booking would
    show its passenger's name and e-mail.

    Which of the two did not match is deliberately not told: that would let anyone
    enumerate references."""
    # On PostgreSQL found and its event written in one statement; on SQLite in two, in
    # one transaction (see each_statement_alone).
    with (each_statement_alone(session_factory) if record_lookup else session_factory()) \
            as session:
        chained = record_lookup and chains_writes(session_factory)
        found = found_bookings(session, reference, surname, operator=operator,
                               noted=_noted_by_read(EventKind.BOOKING_FOUND) if chained
                               else None)
        if len(found) == 1 and record_lookup and not chained:
            insert_event(session, EventKind.BOOKING_FOUND, Actor.PASSENGER,
                         booking_id=found[0].id)
    if len(found) == 1:
        return LookUp(found[0].id, claimed=found[0].claimed,
                      access_version=found[0].access_version)
    return LookUp(None, tuple((f.operator_slug, f.operator_name) for f in found))


def find_booking(session_factory: SessionFactory, reference: str, surname: str, *,
                 operator: str | None = None, record_lookup: bool = True) -> int | None:
    """The one booking look_up finds, or None: where several operators' bookings match,
    None too (a caller that cannot ask the passenger must name the operator)."""
    return look_up(session_factory, reference, surname, operator=operator,
                   record_lookup=record_lookup).booking_id


def prepare_claim(session_factory: SessionFactory, booking_id: int, *,
                  record_view: bool = True) -> ClaimDraft:
    """The prefilled claim and what the rules would say; showing it is an effort event,
    written on the connection that read (one connection per page, and no transaction
    around them: see each_statement_alone)."""
    with (each_statement_alone(session_factory) if record_view else session_factory()) \
            as session:
        # On PostgreSQL the read writes the page's event where no journey is claimed yet.
        chained = record_view and chains_writes(session_factory)
        booking = booking_on_page(session, booking_id, shown=_form_shown(
            booking_id) if chained else None)
        directions = legs_by_direction(booking.legs, booking.fare_kind)
        facts = {d: journey_facts(legs, booking.arrivals) for d, legs in directions.items()}
        draft = ClaimDraft(
            booking_id=booking.id, operator_name=booking.operator_name,
            reference=booking.reference, regime=booking.regime,
            passenger_name=booking.passenger_name, passenger_email=booking.passenger_email,
            payment_iban=booking.payment_iban, fare_currency=booking.fare_currency,
            journeys=tuple(JourneyDraft(
                direction=direction, legs=tuple(legs), facts=facts[direction],
                preview=preview(booking, legs, facts[direction], booking.policy),
                existing_claim_id=booking.claims.get(direction))
                for direction, legs in directions.items()))
        if draft.open_journeys and record_view and not (chained and not booking.claims):
            note_page_view(session, EventKind.CLAIM_FORM_SHOWN, Actor.PASSENGER,
                           booking_id=booking_id, fields_shown=len(CLAIM_FIELDS),
                           fields_prefilled=sum(1 for f in PREFILLED_FIELDS
                                                if getattr(booking, f)))
    return draft


def _form_shown(booking_id: int) -> dict[str, Any]:
    """The CLAIM_FORM_SHOWN event the claim page's read writes on PostgreSQL: a page
    view, one a minute (as note_page_view writes it on SQLite)."""
    noted = _noted_by_read(EventKind.CLAIM_FORM_SHOWN, fields_shown=len(CLAIM_FIELDS))
    return noted | {"view_key": page_view_key(EventKind.CLAIM_FORM_SHOWN, noted["event_at"],
                                              booking_id=booking_id)}


def _noted_by_read(kind: EventKind, **counts: int) -> dict[str, Any]:
    """The parameters of a passenger's effort event that the read's own statement writes
    (claims.passengers.booking_reads: the look-up's and the claim page's), happening
    now."""
    return {"event_kind": kind, "event_actor": Actor.PASSENGER, "event_at": utcnow(),
            **counts}


@dataclass(frozen=True)
class FilingOptions:
    """What a submit of the claim form is checked against: less than the whole draft."""

    account_on_file: bool
    open_journeys: tuple[str, ...]
    first_claim_id: int | None


def filing_options(session_factory: SessionFactory, booking_id: int) -> FilingOptions:
    with session_factory() as session:
        booking = booking_to_file(session, booking_id)
    directions = legs_by_direction(booking.legs, booking.fare_kind)
    return FilingOptions(
        account_on_file=booking.account_on_file,
        open_journeys=tuple(d for d in directions if d not in booking.claims),
        first_claim_id=next((booking.claims[d] for d in directions if d in booking.claims),
                            None))


def submit_claim(session_factory: SessionFactory, booking_id: int, data: ClaimInput,
                 effort: dict[str, int | None],
                 direction: Direction = Direction.OUTBOUND) -> SubmitResult:
    """File the claim for one journey of the booking (a single ticket has one)."""
    return submit_claims(session_factory, booking_id, [direction], data, effort)[0]


class NoAccountOnFile(ValueError):
    """Paid "to the account on file" where there is none, or to an IBAN not given."""


def submit_claims(session_factory: SessionFactory, booking_id: int,
                  directions: Sequence[Direction], data: ClaimInput,
                  effort: dict[str, int | None], *,
                  link_days: int | None = None) -> list[SubmitResult]:
    """File a claim for each chosen journey of the booking, in one go; a second submit
    returns the claims filed before (unique per booking and direction). With link_days,
    the first result carries a new status link to it, written with the claims."""
    chosen = list(dict.fromkeys(directions))
    try:
        if len(chosen) == 1 and chains_writes(session_factory):
            return [_submit_one_alone(session_factory, booking_id, chosen[0], data, effort,
                                      link_days)]
        with session_factory.begin() as session:
            booking = booking_to_file(session, booking_id)
            _check(booking, data, chosen)
            results, typing_counted = [], False
            for direction in chosen:
                if direction in booking.claims:
                    results.append(SubmitResult(booking.claims[direction], created=False))
                    continue
                claim_id = insert_claim(session, new_claim(booking, direction, data, effort,
                                                           typed=not typing_counted))
                typing_counted = True
                results.append(SubmitResult(claim_id, created=True))
            if link_days is not None and results:
                results[0] = replace(results[0], status_token=issue_link_in(
                    session, results[0].claim_id, days=link_days))
            return results
    except IntegrityError:
        # Two submits raced; the unique (booking, direction) let exactly one through each.
        with session_factory() as session:
            winners = _claims_of_booking(session, booking_id)
        if not all(direction in winners for direction in directions):
            raise
        return [SubmitResult(winners[direction], created=False)
                for direction in dict.fromkeys(directions)]


def _submit_one_alone(session_factory: SessionFactory, booking_id: int,
                      direction: Direction, data: ClaimInput, effort: dict[str, int | None],
                      link_days: int | None) -> SubmitResult:
    """One journey's claim on PostgreSQL: the booking read, then the claim, its event and
    its status link written in one statement (claims.passengers.claim_writes), each
    statement on its own. The claims' unique (booking, direction) still lets one of two
    racing submits through; the transaction only cost round trips."""
    with each_statement_alone(session_factory) as session:
        booking = booking_to_file(session, booking_id)
        _check(booking, data, [direction])
        if direction in booking.claims:
            claim_id = booking.claims[direction]
            token = None if link_days is None else issue_link_in(session, claim_id,
                                                                 days=link_days)
            return SubmitResult(claim_id, created=False, status_token=token)
        claim_id, token = insert_claim_alone(
            session, new_claim(booking, direction, data, effort, typed=True), link_days)
        return SubmitResult(claim_id, created=True, status_token=token)


def _check(booking: BookingToFile, data: ClaimInput, directions: Sequence[Direction]) -> None:
    """NoAccountOnFile or ClaimNotFound, where the submit cannot be filed as it is."""
    if data.payout_method == "account" and not booking.account_on_file:
        # Money never goes nowhere: without an account on file, an IBAN or a voucher is
        # the passenger's explicit choice (the form offers only those).
        raise NoAccountOnFile(booking.id)
    if data.payout_method == "iban" and not data.payout_iban:
        raise NoAccountOnFile(booking.id)
    if data.payout_method == "uk-account" and not (
            data.payout_sort_code and data.payout_account_number
            and booking.fare_currency == "GBP"):
        # UK accounts take pounds only: the form offers them for GBP bookings alone.
        raise NoAccountOnFile(booking.id)
    journeys = legs_by_direction(booking.legs, booking.fare_kind)
    for direction in directions:
        if direction not in journeys:
            raise ClaimNotFound(f"booking {booking.id} has no {direction} journey")


def _claims_of_booking(session: Session, booking_id: int) -> dict[str, int]:
    return {direction: claim_id for direction, claim_id in session.execute(
        _CLAIMS_OF_BOOKING, {"booking_id": booking_id})}


def note_form_event(session_factory: SessionFactory, kind: EventKind,
                    booking_id: int | None = None, **counts: int) -> None:
    """A form sent back with errors (a POST): counts only, for the effort record."""
    append_event(session_factory, kind, Actor.PASSENGER, booking_id=booking_id, **counts)


def note_form_shown(session_factory: SessionFactory, kind: EventKind,
                    booking_id: int | None = None, **counts: int) -> None:
    """A form shown (a GET): a page view, at most one a minute for the booking (for the
    form without a booking, one a minute)."""
    append_page_view(session_factory, kind, Actor.PASSENGER, booking_id=booking_id,
                     **counts)


def note_enqueue_failed(session_factory: SessionFactory, claim_id: int) -> None:
    append_event(session_factory, EventKind.ENQUEUE_FAILED, Actor.SYSTEM, claim_id=claim_id)


def withdraw_claim(session_factory: SessionFactory, claim_id: int) -> None:
    """The passenger takes the claim back; refused (and logged) once it is paid or closed."""
    try:
        with session_factory.begin() as session:
            claim = lock_claim(session, claim_id)
            move(claim, ClaimStatus.WITHDRAWN)
            record_event(session, EventKind.CLAIM_WITHDRAWN, Actor.PASSENGER, claim_id=claim.id)
    except IllegalTransition as refused:
        record_refusal(session_factory, refused, Actor.PASSENGER)
        raise


def claim_view(session_factory: SessionFactory, claim_or_link: int | str, *, language: str,
               record_view: bool = True) -> ClaimView:
    """The claim as its status page shows it, by its id or by a status link's token (the
    link checked in the same transaction: LinkRefused if it opens nothing)."""
    # The view and its event on one connection, each statement on its own (the page is
    # polled while the claim is checked; see each_statement_alone).
    with (each_statement_alone(session_factory) if record_view else session_factory()) \
            as session:
        claim_id = claim_of_link(session, claim_or_link) \
            if isinstance(claim_or_link, str) else claim_or_link
        claim = session.scalars(_CLAIM_WITH_BOOKING, {"claim_id": claim_id}
                                ).unique().one_or_none()
        if claim is None:
            raise ClaimNotFound(claim_id)
        events = session.execute(_EVENTS_SHOWN, {"claim_id": claim.id}).all()
        if record_view:
            # At most one view event a minute: the page refreshes itself while the claim
            # is checked, and anyone holding the link could otherwise fill the log at will.
            note_page_view(session, EventKind.STATUS_VIEWED, Actor.PASSENGER,
                           claim_id=claim_id)
        explanation = claim.explanation_de if language.startswith("de") else claim.explanation_en
        # Once paid, where the money went is the payout's, not what the claim planned. The
        # payout is written in the transaction that marks the claim paid: none before.
        payout = compensation_payout(session, claim.id) \
            if claim.status == ClaimStatus.PAID else None
        account_on_file = claim.booking.payment_iban if claim.booking else None
        journeys = legs_by_direction(claim.booking.legs, claim.booking.fare_kind) \
            if claim.booking is not None else {}
        return ClaimView(
            claim_id=claim.id, status=ClaimStatus(claim.status),
            operator_name=claim.operator.name,
            reference=claim.booking.reference if claim.booking else None,
            passenger_name=claim.passenger_name,
            legs=_leg_views(claim.journey_legs),
            submitted_at=claim.submitted_at, decided_at=claim.decided_at,
            delay_minutes=claim.delay_minutes, eligible=claim.eligible,
            amount=amount_text(claim.amount),
            currency=claim.currency, percent=claim.percent, rule=claim.rule,
            legal_basis=claim.legal_basis, explanation=explanation,
            reason_codes=tuple(claim.reason_codes or ()),
            events=tuple(EventView(e.at, _shown_kind(e), e.actor) for e in events),
            requested_info=tuple((claim.requested_info or "").split())
            if claim.status == ClaimStatus.INFO_REQUESTED else (),
            can_appeal=can_object(claim),
            can_answer_survey=claim.status in DECIDED and claim.ces_score is None,
            survey_answered=claim.ces_score is not None,
            payout_method=payout.method if payout else claim.payout_method,
            payout_iban=payout.iban if payout else
            claim.payout_iban if claim.payout_method == "iban" else
            account_on_file if claim.payout_method == "account" else None,
            payout_uk_account=_uk_account_shown(claim, payout),
            passenger_email=claim.passenger_email,
            fare=(f"{claim.booking.fare_amount:.2f}", claim.booking.fare_currency,
                  claim.booking.fare_kind) if claim.booking else None,
            manual_journey=claim.manual_journey,
            direction=claim.direction if len(journeys) > 1 else None,
            # A booking of one journey has no other claim to link to.
            other_journeys=tuple((d, i) for d, i in _claims_of_booking(
                session, claim.booking_id).items() if i != claim.id)
            if claim.booking_id is not None and len(journeys) > 1 else (),
            # The latest payment that counts: none while the bank's return waits for
            # another account (a payment made again is a claim_paid of its own).
            paid_at=None if claim.status == ClaimStatus.PAYOUT_FAILED else next(
                (e.at for e in reversed(events) if e.kind == EventKind.CLAIM_PAID), None),
            answer_by=claim.submitted_at + ANSWER_WITHIN,
            proactive=claim.origin == Origin.PROACTIVE, account_on_file=account_on_file,
            regime=claim.regime,
            objection_by=objection_deadline(claim) if can_object(claim) else None,
            final_rejection=finally_rejected(claim),
            bodies=escalation.bodies_for(claim.regime, claim.operator.slug, language)
            if finally_rejected(claim) else (),
            sender=escalation.sender_of(claim.operator.slug, claim.operator.name),
        )


def _uk_account_shown(claim: Claim, payout: Payout | None) -> str | None:
    """The UK account the money went to (once paid) or goes to, masked."""
    if payout is not None:
        return mask_uk_account(payout.sort_code, payout.account_number) or None
    if claim.payout_method != "uk-account":
        return None
    return mask_uk_account(claim.payout_sort_code, claim.payout_account_number) or None


def _shown_kind(event: Any) -> str:
    """What the passenger reads: the rules handing a claim to a person is not a decision."""
    if event.kind == EventKind.CLAIM_DECIDED and event.actor == Actor.SYSTEM and \
            (event.counts or {}).get("reason_count"):
        return HANDED_TO_STAFF
    return event.kind


HANDED_TO_STAFF = "handed_to_staff"


# The status page's statements, built once (see _BOOKING above). The claim with its
# booking, the booking's legs and the operator: one query.
_CLAIM_WITH_BOOKING = prepared(select(Claim).where(Claim.id == bindparam("claim_id")).options(
    joinedload(Claim.booking).joinedload(Booking.legs), joinedload(Claim.operator)))
# What the page shows of each event: rows, not whole events.
_EVENTS_SHOWN = prepared(select(ClaimEvent.at, ClaimEvent.kind, ClaimEvent.actor,
                                 ClaimEvent.counts).where(
    ClaimEvent.claim_id == bindparam("claim_id")).order_by(ClaimEvent.id))


class SurveyRefused(ValueError):
    pass


def answer_survey(session_factory: SessionFactory, claim_id: int, score: int,
                  comment: str | None) -> None:
    """CES 2.0: "<operator> made it easy for me to handle my claim", 1 to 7, once."""
    if not 1 <= score <= 7:
        raise SurveyRefused("score")
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status not in DECIDED or claim.ces_score is not None:
            raise SurveyRefused("not-now")
        claim.ces_score = score
        claim.ces_comment = (comment or "").strip() or None
        record_event(session, EventKind.SURVEY_ANSWERED, Actor.PASSENGER, claim_id=claim.id,
                     score=score, commented=int(claim.ces_comment is not None))


def _leg_views(legs: Sequence[BookingLeg]) -> tuple[LegView, ...]:
    return tuple(LegView(leg.service, leg.origin, leg.destination, leg.scheduled_departure,
                         leg.scheduled_arrival) for leg in legs)
