"""The persistent model. SQLAlchemy 2.x declarative mapping; the schema itself is made by
the Alembic migrations in migrations/ (a test proves the two agree)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from claims.core.journey import legs_by_direction
from claims.core.names import name_key
from claims.core.vocabulary import ClaimStatus, Direction
from claims.db.types import EncryptedIban, LocalDateTime, Money, UtcDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    regime: Mapped[str] = mapped_column(String(10))
    # Only a SHA-256 of the key is kept; the key itself is shown once, at creation.
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The operator's own choices within the law (rules.md), and the workflow's limit.
    minimum_payout: Mapped[Decimal] = mapped_column(Money, default=Decimal("4.00"),
                                                    server_default="4.00")
    uk_scheme: Mapped[str] = mapped_column(String(4), default="DR15", server_default="DR15")
    season_flat_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("5.00"),
                                                        server_default="5.00")
    season_cap_percent: Mapped[int] = mapped_column(Integer, default=25, server_default="25")
    auto_approve_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("600.00"),
                                                        server_default="600.00")
    # Above this a clerk's approval waits for a second person (claims.core.approvals).
    second_approval_above: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("600.00"), server_default="600.00")
    # The account payouts are sent from: the debtor of the SEPA transfer file.
    payout_account_name: Mapped[str | None] = mapped_column(String(70))
    payout_account_iban: Mapped[str | None] = mapped_column(String(34))
    payout_account_bic: Mapped[str | None] = mapped_column(String(11))
    # Compensation without a claim, when operations data show a delay: off, offer (the
    # passenger accepts with one click) or pay (clear cases paid to the account on file).
    proactive_mode: Mapped[str] = mapped_column(String(5), default="off", server_default="off")
    # When the workers pay this operator's approved claims (claims.processing.
    # payout_schedule): manual, daily@HH[:MM] (a cut-off in TIMEZONE) or every:N minutes.
    payout_schedule: Mapped[str] = mapped_column(String(20), default="manual",
                                                 server_default="manual")
    # The next scheduled run is due at this instant (NULL: manual). A worker takes a run by
    # moving it on from the value it read, in one UPDATE: two hosts never take the same.
    payout_next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    payout_last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Euro transfers as SEPA Instant (pain.001.001.09, local instrument INST).
    sepa_instant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("operator_id", "reference"),
        # The passenger's look-up: by reference alone, whatever the operator.
        Index("ix_bookings_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    reference: Mapped[str] = mapped_column(String(20))
    regime: Mapped[str] = mapped_column(String(10))
    passenger_name: Mapped[str] = mapped_column(String(200))
    # The name's words folded (claims.core.names.name_key): the look-up matches the typed
    # surname in the statement that finds the booking. Set with the name, by the ORM here
    # and by the import's rows; no default, so that a write that forgets it fails on
    # PostgreSQL (SQLite's schema keeps migration 0023's empty default).
    passenger_name_key: Mapped[str] = mapped_column(Text)
    passenger_email: Mapped[str | None] = mapped_column(String(254))
    # The passenger's language ("de", "en") where the operator knows it: offers use it.
    passenger_language: Mapped[str | None] = mapped_column(String(5))
    fare_amount: Mapped[Decimal] = mapped_column(Money)
    fare_currency: Mapped[str] = mapped_column(String(3))
    fare_kind: Mapped[str] = mapped_column(String(10))
    fare_valid_from: Mapped[date | None] = mapped_column(Date)
    fare_valid_until: Mapped[date | None] = mapped_column(Date)
    scheme: Mapped[str | None] = mapped_column(String(4))
    carrier_eu: Mapped[bool | None] = mapped_column(Boolean)
    payment_iban: Mapped[str | None] = mapped_column(EncryptedIban)
    payment_holder: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Raised when a clerk ends the passenger's links (claims.processing.status_links): an
    # invitation and a passenger's session carry the version they began with, and a copy
    # of either kept elsewhere stops working, as staff sessions do with session_version.
    access_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    operator: Mapped[Operator] = relationship()
    legs: Mapped[list[BookingLeg]] = relationship(
        order_by="BookingLeg.position", cascade="all, delete-orphan", back_populates="booking")

    @validates("passenger_name")
    def _keep_name_key(self, _: str, name: str) -> str:
        self.passenger_name_key = name_key(name)
        return name


def _departure_day(context: DefaultExecutionContext) -> date:
    """A leg's service day where none was given: its departure's local date."""
    departure: datetime = context.get_current_parameters()["scheduled_departure"]
    return departure.date()


class BookingLeg(Base):
    __tablename__ = "booking_legs"
    __table_args__ = (
        UniqueConstraint("booking_id", "position"),
        # Finds the other bookings on the same train: duplicates, and cohorts for clerks.
        Index("ix_booking_legs_service_scheduled_arrival", "service", "scheduled_arrival"),
        # Finds the bookings an operations record touches (claims.processing.proactive):
        # by the record's key, the train's service day.
        Index("ix_booking_legs_service_destination_service_date", "service", "destination",
              "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(120))
    destination: Mapped[str] = mapped_column(String(120))
    scheduled_departure: Mapped[datetime] = mapped_column(LocalDateTime)
    scheduled_arrival: Mapped[datetime] = mapped_column(LocalDateTime)
    leg_amount: Mapped[Decimal | None] = mapped_column(Money)
    # The train's service day (the operations record's `date`): the day it left its first
    # station, which is the day before the leg's own departure for a passenger who
    # boarded after midnight. Always set: the import writes the booking's (or the
    # departure's local date), a leg made here gets its departure's local date, and
    # migration 0024 filled the legs there were. Nullable only as that migration added it;
    # core.journey.service_day reads a NULL as the departure's date.
    service_date: Mapped[date | None] = mapped_column(Date, default=_departure_day)

    booking: Mapped[Booking] = relationship(back_populates="legs")


class OperationsRecord(Base):
    __tablename__ = "operations_records"
    __table_args__ = (UniqueConstraint("operator_id", "service", "service_date", "stop"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    service: Mapped[str] = mapped_column(String(40))
    service_date: Mapped[date] = mapped_column(Date)
    stop: Mapped[str] = mapped_column(String(120))
    actual_arrival: Mapped[datetime | None] = mapped_column(LocalDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cause: Mapped[str] = mapped_column(String(30), default="unknown")
    notice_days: Mapped[int | None] = mapped_column(Integer)
    rerouted_departure: Mapped[datetime | None] = mapped_column(LocalDateTime)
    rerouted_arrival: Mapped[datetime | None] = mapped_column(LocalDateTime)
    # The operator's scheduled arrival at the stop, where it sent one: a record more than
    # 30 minutes off a leg's scheduled arrival is another train's, not used for that leg.
    scheduled_arrival: Mapped[datetime | None] = mapped_column(LocalDateTime)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # False until the bookings this record touches were checked for proactive
    # compensation: the database, not a queue, holds the work still to do.
    proactive_checked: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=true())


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("booking_id", "direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One claim per journey of a booking (each direction of a return is one): a double
    # submit or a second attempt finds the first claim.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    direction: Mapped[str] = mapped_column(String(8), default=Direction.OUTBOUND,
                                           server_default=Direction.OUTBOUND.value)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    regime: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=ClaimStatus.SUBMITTED, index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    passenger_name: Mapped[str] = mapped_column(String(200))
    passenger_email: Mapped[str | None] = mapped_column(String(254))
    arrived_with_service: Mapped[str | None] = mapped_column(String(40))
    statement: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delay_minutes: Mapped[int | None] = mapped_column(Integer)
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    percent: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str | None] = mapped_column(String(120))
    explanation_en: Mapped[str | None] = mapped_column(Text)
    explanation_de: Mapped[str | None] = mapped_column(Text)
    # Reason codes that took the claim off the straight-through path: a JSON array of
    # ReasonCode values; NULL (not []) when the rules decided alone.
    reason_codes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # How the passenger is paid: the account on the booking, an IBAN they gave, a voucher.
    payout_method: Mapped[str] = mapped_column(String(10), default="account",
                                               server_default="account")
    payout_iban: Mapped[str | None] = mapped_column(EncryptedIban)
    payout_holder: Mapped[str | None] = mapped_column(String(200))
    # A UK account the passenger gave (payout_method "uk-account"): the sort code in the
    # clear, the account number encrypted like an IBAN.
    payout_sort_code: Mapped[str | None] = mapped_column(String(6))
    payout_account_number: Mapped[str | None] = mapped_column(EncryptedIban)
    # The clerk who took the claim from the queue; others see it is taken.
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What a clerk asked the passenger for, space-separated (claims.review.INFO_ITEMS).
    requested_info: Mapped[str | None] = mapped_column(String(100))
    # Staff text: why an amount was changed, the passenger's objection. Not in the log.
    clerk_note: Mapped[str | None] = mapped_column(Text)
    # An amount above the second-approval limit, proposed by one clerk, waiting for the
    # approval of another (the event log keeps every proposal and change).
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_note: Mapped[str | None] = mapped_column(Text)
    appeal_text: Mapped[str | None] = mapped_column(Text)
    # Filed without a booking: the journey as the passenger gave it (service, origin,
    # destination, date, scheduled arrival, price, currency), for a clerk to check.
    manual_journey: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # CES 2.0, 1-7, after the decision; the comment is the passenger's own words.
    ces_score: Mapped[int | None] = mapped_column(Integer)
    ces_comment: Mapped[str | None] = mapped_column(Text)
    # When the passenger's personal data were erased (on request, or after retention).
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Filed by the passenger, or started by the operations data (an offer, a payment).
    origin: Mapped[str] = mapped_column(String(10), default="passenger",
                                        server_default="passenger")
    # The earlier claim for the same journey (operator, service, date, stops, passenger),
    # found before any payment: this one waits for a clerk beside it, never pays again.
    # No foreign key: SQLite could not drop the column in place (migration 0024).
    twin_claim_id: Mapped[int | None] = mapped_column(Integer)

    booking: Mapped[Booking | None] = relationship()
    operator: Mapped[Operator] = relationship()
    events: Mapped[list[ClaimEvent]] = relationship(
        order_by="ClaimEvent.id", back_populates="claim", viewonly=True)

    @property
    def journey_legs(self) -> list[BookingLeg]:
        """The legs of the journey this claim is for: its direction of the booking."""
        if self.booking is None:
            return []
        return legs_by_direction(self.booking.legs, self.booking.fare_kind).get(
            Direction(self.direction), [])


class ClaimEvent(Base):
    """Append-only: one row per step of a claim. Counts and durations, never typed text.

    A lookup happens before the claim exists, so its event carries the booking only."""

    __tablename__ = "claim_events"
    __table_args__ = (Index("ix_claim_events_claim_id_id", "claim_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A page view's event (a GET: a form shown, a status page, a clerk opening a file):
    # its kind, whose it is and the minute, unique (claims.db.events.note_page_view), so
    # that any number of visits writes at most one a minute. NULL for every other event.
    view_key: Mapped[str | None] = mapped_column(String(80), index=True, unique=True)

    claim: Mapped[Claim | None] = relationship(back_populates="events")


class ClaimDocument(Base):
    """A file a passenger uploaded (a ticket), stored under instance/uploads/ by a name of
    our choosing; the name the passenger's device gave it is never used on disk."""

    __tablename__ = "claim_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InfoRequest(Base):
    """What a clerk asked the passenger and what the passenger answered, as data: each
    fact in its own typed column (the rules read arrival and price; pages word them in the
    reader's language), never a sentence. One row per request; answered_at is NULL while
    the passenger has not answered. Where the answer changed a fact the rules use, the
    outcome before it is kept here, beside the claim's new one."""

    __tablename__ = "info_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    asked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The items asked (claims.clerks.review.INFO_ITEMS), space-separated; the clerk's own
    # question where "question" is one of them.
    items: Mapped[str] = mapped_column(String(100))
    question: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_with_service: Mapped[str | None] = mapped_column(String(40))
    # The arrival the passenger gave: the time of day typed, on the day and in the UTC
    # offset of the journey's scheduled arrival (as a timetable time is kept).
    actual_arrival: Mapped[datetime | None] = mapped_column(LocalDateTime)
    price: Mapped[Decimal | None] = mapped_column(Money)
    # The reason for the delay the passenger was given (claims.core.rules.causes).
    cause: Mapped[str | None] = mapped_column(String(40))
    statement: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)  # to the clerk's own question
    document_id: Mapped[int | None] = mapped_column(ForeignKey("claim_documents.id"))
    # The rules ran again with the answer: what they had found before it.
    rerun: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    before_eligible: Mapped[bool | None] = mapped_column(Boolean)
    before_delay_minutes: Mapped[int | None] = mapped_column(Integer)
    before_percent: Mapped[int | None] = mapped_column(Integer)
    before_amount: Mapped[Decimal | None] = mapped_column(Money)
    before_currency: Mapped[str | None] = mapped_column(String(3))


class ClaimEffort(Base):
    """What one claim cost the passenger and the organisation, derived from its events by
    claims.effort; rebuilt whenever new events arrive, never typed in. Costs are worked out
    from these figures at report time, so a changed cost rate applies to every claim."""

    __tablename__ = "claim_effort"
    __table_args__ = (Index("ix_claim_effort_submitted_at", "submitted_at"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, index=True)
    regime: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(12))  # touchless, clerk, no-booking
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decision_seconds: Mapped[int | None] = mapped_column(Integer)
    payout_seconds: Mapped[int | None] = mapped_column(Integer)
    # Of the time to decision, how long the claim waited for a clerk to open it.
    queue_seconds: Mapped[int | None] = mapped_column(Integer)
    touchless_decision: Mapped[bool] = mapped_column(Boolean)
    touchless_payout: Mapped[bool] = mapped_column(Boolean)
    paid: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    fields_shown: Mapped[int] = mapped_column(Integer)
    fields_prefilled: Mapped[int] = mapped_column(Integer)
    fields_typed: Mapped[int] = mapped_column(Integer)
    fields_changed: Mapped[int] = mapped_column(Integer)
    keystrokes: Mapped[int | None] = mapped_column(Integer)  # unknown without JavaScript
    clicks: Mapped[int | None] = mapped_column(Integer)
    active_seconds: Mapped[int] = mapped_column(Integer)
    validation_errors: Mapped[int] = mapped_column(Integer)
    steps: Mapped[int | None] = mapped_column(Integer)  # pages the passenger passed
    submit_attempts: Mapped[int] = mapped_column(Integer)
    uploads: Mapped[int] = mapped_column(Integer)
    info_requests: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(Integer)
    appeals: Mapped[int] = mapped_column(Integer)
    clerk_seconds: Mapped[int] = mapped_column(Integer)
    touches: Mapped[int] = mapped_column(Integer)
    clerks: Mapped[int] = mapped_column(Integer)
    handovers: Mapped[int] = mapped_column(Integer)
    jobs: Mapped[int] = mapped_column(Integer)
    ces_score: Mapped[int | None] = mapped_column(Integer)
    reason_codes: Mapped[str | None] = mapped_column(String(200))
    last_event_id: Mapped[int] = mapped_column(Integer)


class EffortDriver(Base):
    """What made a claim more work: a reason code, a form field typed, a document or a
    detail asked for. One row each, so the cost-of-complexity report is one grouped join."""

    __tablename__ = "effort_drivers"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim_effort.claim_id"),
                                          primary_key=True)
    driver: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class EffortDay(Base):
    """The effort records of one day (UTC, by when the claim was filed), operator, regime,
    path, status and whether a person decided, added up: a report over a million records
    adds up a few thousand of these. Kept by claims.reporting.effort_store in the
    transaction that writes the records, so the two always agree."""

    __tablename__ = "effort_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(10), primary_key=True)
    path: Mapped[str] = mapped_column(String(12), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    touchless_decision: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    # The sums of claims.reporting.record_sums.Sums, field by field.
    claims: Mapped[int] = mapped_column(BigInteger)
    touchless: Mapped[int] = mapped_column(BigInteger)
    decided: Mapped[int] = mapped_column(BigInteger)
    touchless_paid: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger)
    clerk_seconds: Mapped[int] = mapped_column(BigInteger)
    jobs: Mapped[int] = mapped_column(BigInteger)
    typed_fields: Mapped[int] = mapped_column(BigInteger)
    active_seconds: Mapped[int] = mapped_column(BigInteger)
    contacts: Mapped[int] = mapped_column(BigInteger)
    info_requests: Mapped[int] = mapped_column(BigInteger)
    ces_total: Mapped[int] = mapped_column(BigInteger)
    ces_answers: Mapped[int] = mapped_column(BigInteger)
    ces_top_box: Mapped[int] = mapped_column(BigInteger)
    clerk_counted: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EffortDriverDay(Base):
    """The claims of one day, operator and regime that a driver made more work, added up:
    what the cost-of-complexity ranking reads. Kept with EffortDay."""

    __tablename__ = "effort_driver_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(10), primary_key=True)
    driver: Mapped[str] = mapped_column(String(60), primary_key=True)
    # How many drivers each of these claims has: a report shares a claim's extra cost
    # equally among its drivers, so that they add up to it, never more.
    drivers: Mapped[int] = mapped_column(Integer, primary_key=True)
    claims: Mapped[int] = mapped_column(BigInteger)
    clerk_seconds: Mapped[int] = mapped_column(BigInteger)
    jobs: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger)
    active_seconds: Mapped[int] = mapped_column(BigInteger)


class EffortTimeDay(Base):
    """How long the claims of one day, operator and regime took, per time bucket: counts
    and sums of seconds, for each measure (decision, payout, queue). A report's medians
    and 90th percentiles add these up (claims.reporting.effort_times). Kept with
    EffortDay."""

    __tablename__ = "effort_time_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(10), primary_key=True)
    measure: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    claims: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[int] = mapped_column(BigInteger)


class EffortDayDue(Base):
    """A day whose records were rebuilt and whose sums (effort_days) are yet to be worked
    out again: a build of many records adds its days up once, at its end."""

    __tablename__ = "effort_days_due"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class StartedClaim(Base):
    """A booking whose claim form a passenger opened, and whether a claim was filed from
    it: kept by claims.effort_store so that abandonment is counted without reading the
    whole event log."""

    __tablename__ = "started_claims"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, index=True)
    regime: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    filed: Mapped[bool] = mapped_column(Boolean, default=False)


class EffortProgress(Base):
    """How far claims.effort has read the event log: one row."""

    __tablename__ = "effort_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)


class PayoutRun(Base):
    """One payout run of one operator: one SEPA file (or one voucher batch)."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    vouchers: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3))
    # Set once the file is on disk; a run without it gets its file on the next run.
    file_name: Mapped[str | None] = mapped_column(String(120))
    # When that file was written: where the report's "time to money" ends.
    file_written_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Payout(Base):
    """Money moved for a claim. The unique (claim_id, part) is the guarantee of paying
    once: part 0 is the compensation, each top-up after a correction a part of its own."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("claim_id", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    part: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    iban: Mapped[str | None] = mapped_column(EncryptedIban)
    holder: Mapped[str | None] = mapped_column(String(200))
    # Paid to a UK account by sort code and account number (the latter encrypted).
    sort_code: Mapped[str | None] = mapped_column(String(6))
    account_number: Mapped[str | None] = mapped_column(EncryptedIban)
    voucher_code: Mapped[str | None] = mapped_column(String(24), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The bank's feedback (claims.processing.bank_feedback): the transfer accepted, or
    # returned or rejected with the bank's ISO reason code. A returned payout no longer
    # counts as paid: the claim owes its amount again.
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    return_code: Mapped[str | None] = mapped_column(String(4))
    # Where this transfer's time to money starts and the report path it was counted
    # under (claims.processing.money_times), kept so that the bank's confirmation and a
    # return add to and take from the very buckets the file went to; NULL where it is
    # not the claim's payment (a top-up on money that arrived, a voucher).
    money_time_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    money_time_path: Mapped[str | None] = mapped_column(String(12))


class MoneyTimeBuckets:
    """The columns the day and the month tables of time to money share, after their date:
    who, which path and measure, and the payments and their seconds in one bucket."""

    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(10), primary_key=True)
    path: Mapped[str] = mapped_column(String(12), primary_key=True)
    measure: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    payouts: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[int] = mapped_column(BigInteger)


class MoneyTimeDay(MoneyTimeBuckets, Base):
    """How long passengers waited for their money, as counts per time bucket (5 % wide,
    claims.processing.money_times), per day the payment file was written (UTC), operator,
    regime, path and measure: "file" (from the late arrival to the payout file) and
    "confirmed" (from the same start to the bank's confirmation, kept under the file's
    day so that both measures count the same payments). Kept by claims.processing.
    money_times in the transaction that records the file or the bank's feedback."""

    __tablename__ = "money_time_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class MoneyTimeMonth(MoneyTimeBuckets, Base):
    """money_time_days added up per calendar month (month: its first day), kept with them
    in the same transaction: a report reads the whole months of its period here and only
    the days of a month it cuts through from money_time_days."""

    __tablename__ = "money_time_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class JourneyCheck(Base):
    """One journey (a booking's direction) the operations data touched, as the rules and
    the policy found it, and what came of it: the one proactive decision per journey
    (its key), and the compensation nobody claimed for the reports."""

    __tablename__ = "journey_checks"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, index=True)
    regime: Mapped[str] = mapped_column(String(10))
    # claims.processing.proactive.Outcome
    outcome: Mapped[str] = mapped_column(String(10))
    eligible: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    # When the passenger arrived (or was due to): where "time from the delay" starts.
    arrived_at: Mapped[datetime] = mapped_column(LocalDateTime)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # Indexed: a payout file's time to money starts at the arrival of its offers' journeys.
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    # An invitation to file: when it was e-mailed (the sweeper sends the ones not yet).
    mailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Never read: it tells the unit of work to insert a claim before a check made with
    # it in the same flush (a proactive batch reserves its new claims' ids ahead).
    claim: Mapped[Claim | None] = relationship()


class UnclaimedDay(Base):
    """The eligible journeys nobody claimed and nobody was offered for, added up per day
    they were checked (UTC), operator, regime and currency: what the report reads, where
    counting them from the checks took 0.25 s over a million (claims.reporting.
    unclaimed_days keeps them)."""

    __tablename__ = "unclaimed_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(10), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    journeys: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)


class UnclaimedDayDue(Base):
    """A day whose journey checks changed, or whose journeys were claimed, since its sums
    were worked out; noted_at tells a later change from the one being rolled up."""

    __tablename__ = "unclaimed_days_due"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    noted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatusLink(Base):
    """A passenger's link to a claim's status page. Only a digest of the token is kept:
    a copy of this table opens no claim. Each e-mail and each look-up gets a token of its
    own; a clerk revokes them all when one has leaked."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Raised at logout: a session cookie carries the version it began with, and a copy
    # of it kept elsewhere stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SignInFailure(Base):
    """Wrong passwords for an account from one address: the lockout is theirs alone, so
    nobody can lock another clerk out by typing wrong passwords for their e-mail."""

    __tablename__ = "sign_in_failures"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
