"""How a passenger's new claim is written: its row, its CLAIM_SUBMITTED event (what the
effort reports count of the form) and, for the claim a submit shows first, a status link.

In a transaction they are three inserts. On PostgreSQL a submit of one journey writes
them in one statement, the inserts chained in a WITH and committed together without a
transaction around them: its BEGIN and COMMIT and two of the inserts were four of a
filing's ten round trips to the server, each about 0.25 ms of the machine's time under
bench/submit_claims.py's load (measured with four round trips added)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from claims.core.vocabulary import Actor, ClaimStatus, Direction, EventKind, Origin
from claims.db.bulk import insert_row
from claims.db.engine import prepared
from claims.db.events import event_row
from claims.db.models import Claim, ClaimEvent, StatusLink
from claims.db.types import utcnow
from claims.passengers.booking_reads import BookingToFile
from claims.processing.status_links import new_link

# The claim form's fields; name and e-mail come prefilled from the booking.
CLAIM_FIELDS = ("passenger_name", "passenger_email", "arrived_with_service", "statement")
PREFILLED_FIELDS = ("passenger_name", "passenger_email")

_claims = cast(Table, Claim.__table__)
_events = cast(Table, ClaimEvent.__table__)
_links = cast(Table, StatusLink.__table__)
# What a NewClaim gives of the claim's row, of its event's and of its status link's.
# Every column with a default computed in Python is among them: SQLAlchemy computes none
# for an INSERT inside a WITH, which would write NULL (tests/unit/test_claim_writes.py).
CLAIM_COLUMNS = ("booking_id", "direction", "operator_id", "regime", "status", "language",
                 "passenger_name", "passenger_email", "arrived_with_service", "statement",
                 "payout_method", "payout_iban", "payout_holder", "payout_sort_code",
                 "payout_account_number", "submitted_at", "origin")
_EVENT_COLUMNS = ("kind", "actor", "at", "counts", "booking_id", "actor_id")
_LINK_COLUMNS = ("digest", "created_at", "expires_at")


@dataclass(frozen=True)
class ClaimInput:
    """What the passenger confirmed and typed on the claim form."""

    passenger_name: str
    passenger_email: str | None
    arrived_with_service: str | None
    statement: str | None
    language: str
    payout_method: str = "account"
    payout_iban: str | None = None
    payout_holder: str | None = None
    # payout_method "uk-account": checked by claims.core.uk_accounts.
    payout_sort_code: str | None = None
    payout_account_number: str | None = None


@dataclass(frozen=True)
class NewClaim:
    """A claim to write: its columns, and its CLAIM_SUBMITTED event's."""

    claim: dict[str, Any]
    event: dict[str, Any]


def new_claim(booking: BookingToFile, direction: Direction, data: ClaimInput,
              effort: dict[str, int | None], *, typed: bool) -> NewClaim:
    """typed: whether this claim's event counts the typing (the first claim of a submit
    does; a second journey filed with it does not)."""
    changed = [f for f in PREFILLED_FIELDS
               if getattr(booking, f) and getattr(data, f) != getattr(booking, f)]
    fields = [f for f in CLAIM_FIELDS if f not in PREFILLED_FIELDS and getattr(data, f)]
    if data.payout_method == "iban":
        fields += ["iban", "account_holder"]
    elif data.payout_method == "uk-account":
        fields += ["sort_code", "account_number", "account_holder"]
    if not typed:
        changed, fields, effort = [], [], {}
    counts = {k: v for k, v in effort.items() if v is not None}
    return NewClaim(
        claim=dict(
            booking_id=booking.id, direction=direction, operator_id=booking.operator_id,
            regime=booking.regime, status=ClaimStatus.SUBMITTED, language=data.language,
            passenger_name=data.passenger_name, passenger_email=data.passenger_email,
            arrived_with_service=data.arrived_with_service, statement=data.statement,
            payout_method=data.payout_method, payout_iban=data.payout_iban,
            payout_holder=data.payout_holder, payout_sort_code=data.payout_sort_code,
            payout_account_number=data.payout_account_number, submitted_at=utcnow(),
            origin=Origin.PASSENGER),
        # Which fields, by name (never what was in them): the effort reports rank the
        # form's fields by the work they cause.
        event=event_row(EventKind.CLAIM_SUBMITTED, Actor.PASSENGER, booking_id=booking.id,
                        fields_changed=len(changed), fields_typed=len(fields) + len(changed),
                        fields=" ".join(fields + changed), **counts))


# Built once, prepared (claims.db.engine.prepared): a plain INSERT ... RETURNING, as
# nothing reads the claim back in its transaction (the ORM's flush of a claim's 50
# columns cost 0.4 ms).
_INSERT_CLAIM = prepared(insert(_claims).returning(_claims.c.id))


def insert_claim(session: Session, claim: NewClaim) -> int:
    """The claim and its event, in the caller's transaction; the claim's id."""
    claim_id: int = session.connection().execute(_INSERT_CLAIM, claim.claim).scalar_one()
    insert_row(session, ClaimEvent, {**claim.event, "claim_id": claim_id})
    return claim_id


def insert_claim_alone(session: Session, claim: NewClaim,
                       link_days: int | None) -> tuple[int, str | None]:
    """PostgreSQL: the claim, its event and, with link_days, a status link, in one
    statement that commits on its own; the claim's id and the link's token."""
    parameters = {**claim.claim, **{f"event_{name}": claim.event[name]
                                    for name in _EVENT_COLUMNS}}
    token = None
    if link_days is not None:
        token, link = new_link(days=link_days)
        parameters.update({f"link_{name}": link[name] for name in _LINK_COLUMNS})
    claim_id: int = session.connection().execute(
        _CHAINED[link_days is not None], parameters).scalar_one()
    return claim_id, token


def _chained(*, with_link: bool) -> Select[Any]:
    """One statement: the claim, then its event (and its status link) with its new id."""
    written = insert(_claims).values({
        name: bindparam(name, type_=_claims.c[name].type) for name in CLAIM_COLUMNS
    }).returning(_claims.c.id).cte("new_claim")
    event = insert(_events).from_select(["claim_id", *_EVENT_COLUMNS], select(
        written.c.id, *(bindparam(f"event_{name}", type_=_events.c[name].type)
                        for name in _EVENT_COLUMNS))).cte("submitted")
    statement = select(written.c.id).add_cte(event)
    if with_link:
        link = insert(_links).from_select(["claim_id", *_LINK_COLUMNS], select(
            written.c.id, *(bindparam(f"link_{name}", type_=_links.c[name].type)
                            for name in _LINK_COLUMNS))).cte("status_link")
        statement = statement.add_cte(link)
    return prepared(statement)


_CHAINED = {with_link: _chained(with_link=with_link) for with_link in (False, True)}
