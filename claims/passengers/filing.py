"""The passenger path's use cases. Each owns its transaction; views and jobs call them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from claims.core.journey import JourneyFacts, journey_facts, legs_by_direction
from claims.core.policy import Decision
from claims.core.vocabulary import Actor, ClaimStatus, Direction, EventKind
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
from claims.db.models import Claim
from claims.db.types import utcnow
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
            winners = claims_of_booking(session, booking_id)
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


def claims_of_booking(session: Session, booking_id: int) -> dict[str, int]:
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
