"""What the passenger's path reads of a booking: the booking found by its reference and
surname; the booking, its legs in order and the claims filed on it (for the claim page
also its operator's policy and its legs' operations records), in one statement each, as
plain rows. On PostgreSQL the look-up's and the claim page's statements also write their
effort events.

The claim page and the submit run once per passenger, on every web worker. Loaded as
ORM objects (the booking, its legs and its operator), the claim page's read took 1.4 ms
of Python and two more statements, for the claims and the operations records (py-spy,
1,500 filings): the identity map, the joined loaders and 45 columns described by the
driver, for a page that only shows them. A row per leg and claim (a booking has a few
legs, a claim per direction at most) carries all of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from claims.core.journey import OperationsKey, operations_key
from claims.core.names import name_key, normalise_reference
from claims.core.policy import OperatorPolicy
from claims.db.dialect import insert_or_ignore_chained, local_date
from claims.db.engine import prepared
from claims.db.models import Booking, BookingLeg, Claim, ClaimEvent, OperationsRecord, Operator
from claims.processing.assessment import Arrival, operator_policy
from claims.processing.lifecycle import ClaimNotFound

_bookings = cast(Table, Booking.__table__)
_legs = cast(Table, BookingLeg.__table__)
_claims = cast(Table, Claim.__table__)
_operators = cast(Table, Operator.__table__)
_records = cast(Table, OperationsRecord.__table__)
_events = cast(Table, ClaimEvent.__table__)


@dataclass(frozen=True)
class LegView:
    service: str
    origin: str
    destination: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    # The price of this leg, where the booking gives one (the rules' leg_amount).
    leg_amount: Decimal | None = None
    # The train's service day (core.journey.service_day reads it).
    service_date: date | None = None


@dataclass(frozen=True)
class BookingOnPage:
    """The booking as the claim page shows it and the rules preview it."""

    id: int
    operator_id: int
    operator_name: str
    reference: str
    regime: str
    passenger_name: str
    passenger_email: str | None
    payment_iban: str | None
    fare_amount: Decimal
    fare_currency: str
    fare_kind: str
    scheme: str | None
    carrier_eu: bool | None
    policy: OperatorPolicy
    legs: tuple[LegView, ...]
    # The claims filed on the booking, by direction.
    claims: dict[str, int]
    # The operations records of its legs (core.journey.journey_facts reads them).
    arrivals: dict[OperationsKey, Arrival]


@dataclass(frozen=True)
class BookingToFile:
    """What filing reads of a booking: less than the page, and no IBAN decrypted (only
    whether there is one)."""

    id: int
    operator_id: int
    regime: str
    passenger_name: str
    passenger_email: str | None
    fare_kind: str
    account_on_file: bool
    legs: tuple[LegView, ...]
    claims: dict[str, int]
    fare_currency: str = "EUR"


def _with_legs_and_claims(*columns: ColumnElement[Any]) -> Select[Any]:
    """The booking's columns on a row per leg and claim, legs in order. Built once per
    statement, with the booking as a bound parameter: SQLAlchemy keys a statement built
    anew on every request again (see claims.passengers.filing)."""
    return prepared(select(
        *columns, _legs.c.position, _legs.c.service, _legs.c.origin, _legs.c.destination,
        _legs.c.scheduled_departure, _legs.c.scheduled_arrival, _legs.c.leg_amount,
        _legs.c.service_date, _claims.c.direction, _claims.c.id.label("claim_id"),
    ).select_from(
        _bookings.outerjoin(_legs, _legs.c.booking_id == _bookings.c.id)
        .outerjoin(_claims, _claims.c.booking_id == _bookings.c.id)
    ).where(_bookings.c.id == bindparam("booking_id")).order_by(_legs.c.position))


# An Arrival's fields, as the page's statement labels them beside the booking's columns.
_ARRIVAL_COLUMNS = {name: f"arrival_{name}" for name in Arrival._fields}

# With each leg's operations record, where there is one (keyed as
# claims.processing.assessment.operations_records keys them, by core.journey.service_day:
# the leg's service day, its departure's local date where that is NULL): the claim page's
# preview needs them, and they come with the legs instead of in a statement of their own.
_BOOKING_ON_PAGE = _with_legs_and_claims(
    _bookings.c.id, _bookings.c.operator_id, _operators.c.name.label("operator_name"),
    _bookings.c.reference, _bookings.c.regime, _bookings.c.passenger_name,
    _bookings.c.passenger_email, _bookings.c.payment_iban, _bookings.c.fare_amount,
    _bookings.c.fare_currency, _bookings.c.fare_kind, _bookings.c.scheme,
    _bookings.c.carrier_eu, _operators.c.minimum_payout, _operators.c.uk_scheme,
    _operators.c.season_flat_amount, _operators.c.season_cap_percent,
    _operators.c.auto_approve_limit, _operators.c.second_approval_above,
    *(_records.c[name].label(label) for name, label in _ARRIVAL_COLUMNS.items()),
).join_from(_bookings, _operators, _operators.c.id == _bookings.c.operator_id).outerjoin(
    _records, and_(_records.c.operator_id == _bookings.c.operator_id,
                   _records.c.service == _legs.c.service,
                   _records.c.service_date == func.coalesce(
                       _legs.c.service_date, local_date(_legs.c.scheduled_departure)),
                   _records.c.stop == _legs.c.destination))

def _passenger_event(booking_id: ColumnElement[Any], counts: ColumnElement[Any],
                     *where: ColumnElement[bool], page_view: bool = False) -> Insert:
    """An effort event written by a read's statement (an INSERT in its WITH), for each
    row selected with where: its kind, actor and time bound as event_kind, event_actor
    and event_at (claims.passengers.filing._noted_by_read gives them). A page_view's
    event also has its view_key bound, and is not written where its minute has one
    (claims.db.events.note_page_view). These statements run on PostgreSQL only."""
    columns = ["kind", "actor", "at", "booking_id", "counts"]
    values: list[ColumnElement[Any]] = [
        bindparam("event_kind", type_=_events.c.kind.type),
        bindparam("event_actor", type_=_events.c.actor.type),
        bindparam("event_at", type_=_events.c.at.type), booking_id, counts]
    if not page_view:
        return insert(_events).from_select(columns, select(*values).where(*where))
    return insert_or_ignore_chained(_events, "view_key").from_select(
        [*columns, "view_key"], select(
            *values, bindparam("view_key", type_=_events.c.view_key.type)).where(*where))


# On PostgreSQL, the claim page's CLAIM_FORM_SHOWN event written by the same statement
# (an INSERT in its WITH), when no journey of the booking is claimed yet: the passenger's
# first visit, and nearly every one. A round trip less of the filing's six. With a claim
# on the booking, which journeys are open is the rules' to say (core.journey), and the
# page writes the event itself. Its counts are the ones filing.prepare_claim writes.
_FORM_SHOWN = _passenger_event(
    _bookings.c.id,
    func.json_build_object(
        "fields_shown", bindparam("fields_shown", type_=Integer),
        "fields_prefilled",
        case((_bookings.c.passenger_name != "", 1), else_=0)
        + case((func.coalesce(_bookings.c.passenger_email, "") != "", 1), else_=0)),
    _bookings.c.id == bindparam("booking_id"),
    ~exists().where(_claims.c.booking_id == _bookings.c.id), page_view=True,
).cte("form_shown")
_BOOKING_ON_PAGE_NOTED = _BOOKING_ON_PAGE.add_cte(_FORM_SHOWN)

_BOOKING_TO_FILE = _with_legs_and_claims(
    _bookings.c.id, _bookings.c.operator_id, _bookings.c.regime,
    _bookings.c.passenger_name, _bookings.c.passenger_email, _bookings.c.fare_kind,
    _bookings.c.fare_currency, _bookings.c.payment_iban.is_not(None).label("account_on_file"))


@dataclass(frozen=True)
class FoundBooking:
    """A booking the typed reference and surname name, with its operator: the operator's
    slug and name are all a passenger is shown to choose between several."""

    id: int
    operator_slug: str
    operator_name: str
    # Whether a claim is filed on it: a passenger coming back, whose look-up may lead
    # straight to her claim (the journeys still open are the rules' to say).
    claimed: bool = False
    # The version a session that looks it up begins with (claims.processing.status_links).
    access_version: int = 0


# More than this many operators with one reference and surname is no passenger's case:
# the choice shows this many at most.
MOST_FOUND = 20

# The bookings with the reference whose name ends in the typed surname's words (as
# claims.core.names.surname_matches says, on the folded name key), by the reference's
# index, and of the chosen operator where one is chosen (operator NULL: any). Several
# operators may use one reference for the same surname: the passenger is asked which,
# never given the first.
_FOUND = prepared(select(
    _bookings.c.id, _operators.c.slug.label("operator_slug"),
    _operators.c.name.label("operator_name"),
    exists().where(_claims.c.booking_id == _bookings.c.id).label("claimed"),
    _bookings.c.access_version,
).join_from(_bookings, _operators, _operators.c.id == _bookings.c.operator_id).where(
    _bookings.c.reference == bindparam("reference"),
    or_(_bookings.c.passenger_name_key == bindparam("surname_key"),
        _bookings.c.passenger_name_key.like(bindparam("surname_suffix"))),
    _operators.c.slug == func.coalesce(bindparam("operator", type_=_operators.c.slug.type),
                                       _operators.c.slug),
).order_by(_operators.c.name, _operators.c.slug).limit(MOST_FOUND))

# On PostgreSQL with its BOOKING_FOUND event written by the same statement, where exactly
# one booking is found (several wait for the passenger's choice): the look-up is one round
# trip, as the claim page's is.
_found = _FOUND.cte("found")
_FOUND_NOTED = prepared(select(_found).add_cte(_passenger_event(
    _found.c.id, bindparam("event_counts", type_=_events.c.counts.type),
    select(func.count()).select_from(_found).scalar_subquery() == 1).cte("found_noted")))


def found_bookings(session: Session, reference: str, surname: str, *,
                   operator: str | None = None,
                   noted: dict[str, Any] | None = None) -> tuple[FoundBooking, ...]:
    """The bookings the reference and surname name (of the operator, by its slug, where
    one is given), ordered by their operators' names. noted (PostgreSQL): the
    BOOKING_FOUND event's kind, actor and at, written by the same statement when exactly
    one booking is found."""
    typed = name_key(surname)
    if not typed:  # no letter or digit: no name ends in it
        return ()
    parameters: dict[str, Any] = {"reference": normalise_reference(reference),
                                  "surname_key": typed, "surname_suffix": f"% {typed}",
                                  "operator": operator or None}
    if noted:
        parameters |= {**noted, "event_counts": {}}
    rows = session.execute(_FOUND_NOTED if noted else _FOUND, parameters)
    return tuple(FoundBooking(row.id, row.operator_slug, row.operator_name, bool(row.claimed),
                              row.access_version) for row in rows)


def booking_on_page(session: Session, booking_id: int,
                    shown: dict[str, Any] | None = None) -> BookingOnPage:
    """shown (PostgreSQL): the CLAIM_FORM_SHOWN event's kind, actor, at, fields_shown and
    view_key, written with the read if no journey is claimed yet (when the result's
    claims are empty) and the minute has none."""
    rows = _rows(session, _BOOKING_ON_PAGE_NOTED if shown else _BOOKING_ON_PAGE, booking_id,
                 shown)
    first = rows[0]
    legs, claims = _legs_and_claims(rows)
    return BookingOnPage(
        id=first.id, operator_id=first.operator_id, operator_name=first.operator_name,
        reference=first.reference, regime=first.regime,
        passenger_name=first.passenger_name, passenger_email=first.passenger_email,
        payment_iban=first.payment_iban, fare_amount=first.fare_amount,
        fare_currency=first.fare_currency, fare_kind=first.fare_kind, scheme=first.scheme,
        carrier_eu=first.carrier_eu, policy=operator_policy(first), legs=legs,
        claims=claims, arrivals=_arrivals(rows))


def booking_to_file(session: Session, booking_id: int) -> BookingToFile:
    rows = _rows(session, _BOOKING_TO_FILE, booking_id)
    first = rows[0]
    legs, claims = _legs_and_claims(rows)
    return BookingToFile(
        id=first.id, operator_id=first.operator_id, regime=first.regime,
        passenger_name=first.passenger_name, passenger_email=first.passenger_email,
        fare_kind=first.fare_kind, account_on_file=first.account_on_file, legs=legs,
        claims=claims, fare_currency=first.fare_currency)


def _rows(session: Session, statement: Select[Any], booking_id: int,
          parameters: dict[str, Any] | None = None) -> Sequence[Any]:
    rows = session.execute(statement, {"booking_id": booking_id, **(parameters or {})}).all()
    if not rows:
        raise ClaimNotFound(f"no booking {booking_id}")
    return rows


def _arrivals(rows: Sequence[Any]) -> dict[OperationsKey, Arrival]:
    arrivals: dict[OperationsKey, Arrival] = {}
    for row in rows:
        if row.arrival_cause is not None:  # a record (its cause is never empty)
            arrivals[operations_key(row)] = Arrival(
                *(getattr(row, label) for label in _ARRIVAL_COLUMNS.values()))
    return arrivals


def _legs_and_claims(rows: Sequence[Any]) -> tuple[tuple[LegView, ...], dict[str, int]]:
    """Each leg once (a row repeats it for every claim) and each claim once (a row
    repeats it for every leg). A booking without legs (none are imported so) has one row
    with no leg in it."""
    legs: dict[int, LegView] = {}
    claims: dict[str, int] = {}
    for row in rows:
        if row.position is not None and row.position not in legs:
            legs[row.position] = LegView(row.service, row.origin, row.destination,
                                         row.scheduled_departure, row.scheduled_arrival,
                                         row.leg_amount, row.service_date)
        if row.direction is not None:
            claims[row.direction] = row.claim_id
    return tuple(legs.values()), claims
