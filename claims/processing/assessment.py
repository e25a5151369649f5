"""Assessing claims: submitted -> assessing -> approved | rejected | needs_review.

Two ways in, with the same transitions, events and decisions:
- one claim (start_assessment, then decide_claim, a transaction each, so a claim being
  assessed is visible as such): the path of retries and of the sweeper;
- a batch (assess_claims, one transaction for up to a few hundred claims): the storm-day
  path, where a commit and three look-ups per batch instead of per claim is what lets two
  workers keep up with a thousand passengers filing at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, select, tuple_
from sqlalchemy.orm import Session, joinedload, sessionmaker

from claims.core.approvals import AmountLimits
from claims.core.journey import (
    JourneyFacts,
    LegLike,
    OperationsKey,
    journey_facts,
    operations_key,
)
from claims.core.names import surname_matches, surname_of
from claims.core.policy import BookingFacts, ClaimSignals, Decision, OperatorPolicy, decide
from claims.core.rules.journey_input import Fare, SeasonPolicy
from claims.core.rules.result import Assessment
from claims.core.uk_accounts import UkAccount, uk_account_of_iban
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.events import record_event
from claims.db.models import Booking, BookingLeg, Claim, InfoRequest, OperationsRecord
from claims.db.types import utcnow
from claims.processing.lifecycle import ClaimNotFound, lock_claim, move
from claims.processing.twins import journey_of, twins_of

SessionFactory = sessionmaker[Session]


class BookingWithLegs(Protocol):
    """A booking as its operations records are looked up: stored, or read as rows."""

    @property
    def operator_id(self) -> int: ...
    @property
    def legs(self) -> Sequence[LegLike]: ...


# A journey to decide: a booking and the legs of one of its directions.
Journey = tuple[BookingWithLegs, Sequence[LegLike]]
K = TypeVar("K")


@dataclass(frozen=True)
class Outcome:
    status: ClaimStatus
    # A decision the passenger should hear of, by e-mail.
    notify: bool


def start_assessment(session_factory: SessionFactory, claim_id: int) -> bool:
    """submitted -> assessing. True when there is assessing to do (also when a worker died
    mid-assessment and left it assessing); False for a claim decided or withdrawn."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        status = ClaimStatus(claim.status)
        if status == ClaimStatus.ASSESSING:
            return True
        if status != ClaimStatus.SUBMITTED:
            return False
        _start(session, claim)
        return True


def decide_claim(session_factory: SessionFactory, claim_id: int) -> Outcome:
    """assessing -> approved, rejected or needs_review, by the rules and the policy."""
    with session_factory.begin() as session:
        claim = session.scalars(_with_booking(
            select(Claim).where(Claim.id == claim_id).with_for_update(of=Claim,
                                                                     key_share=True))
        ).unique().one_or_none()
        if claim is None:
            raise ClaimNotFound(claim_id)
        if claim.status != ClaimStatus.ASSESSING:
            return Outcome(ClaimStatus(claim.status), notify=False)
        return _decide_batch(session, [claim])[claim.id]


def assess_claim(session_factory: SessionFactory, claim_id: int) -> Outcome:
    """Decide a submitted claim. Running it again on a decided claim changes nothing."""
    if start_assessment(session_factory, claim_id):
        return decide_claim(session_factory, claim_id)
    with session_factory() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ClaimNotFound(claim_id)
        return Outcome(ClaimStatus(claim.status), notify=False)


def assess_claims(session_factory: SessionFactory,
                  claim_ids: Sequence[int]) -> dict[int, Outcome]:
    """Decide, in one transaction, every claim of the batch that is still submitted.
    Claims another worker holds are skipped (it is deciding them), and so are claims
    already decided or being assessed one by one: running a batch twice changes nothing."""
    if not claim_ids:
        return {}
    with session_factory.begin() as session:
        claims = session.scalars(_with_booking(
            select(Claim).where(Claim.id.in_(claim_ids),
                                Claim.status == ClaimStatus.SUBMITTED)
            # NO KEY UPDATE: a row another transaction only points at (an event or a status
            # link being written for the claim holds KEY SHARE on it) is not skipped.
            .order_by(Claim.id).with_for_update(of=Claim, skip_locked=True, key_share=True))
        ).unique().all()
        # One flush, at the commit: each claim's row written once, and all the batch's
        # events in one insert. The batch's reads (operations records, duplicates) do not
        # depend on the claims being marked assessing; flushed before them, it cost an
        # update and an insert more per batch (9 statements, 7 now).
        with session.no_autoflush:
            for claim in claims:
                _start(session, claim)
            return _decide_batch(session, claims)


def still_submitted(session_factory: SessionFactory, claim_ids: Sequence[int]) -> list[int]:
    """Of these claims, the ones nobody has started to decide: a batch skipped them as
    another transaction held them, and they are due again."""
    if not claim_ids:
        return []
    with session_factory() as session:
        return list(session.scalars(select(Claim.id).where(
            Claim.id.in_(claim_ids), Claim.status == ClaimStatus.SUBMITTED)))


def fail_assessment(session_factory: SessionFactory, claim_id: int, error: str) -> bool:
    """The assessment failed for good: a clerk takes the claim, with reason job-failed.
    Only the error's type is kept: messages may quote personal data."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if ClaimStatus(claim.status).decided:
            return False
        if claim.status == ClaimStatus.SUBMITTED:
            move(claim, ClaimStatus.ASSESSING)
        move(claim, ClaimStatus.NEEDS_REVIEW)
        claim.reason_codes = [ReasonCode.JOB_FAILED.value]
        claim.decided_at = utcnow()
        record_event(session, EventKind.ASSESSMENT_FAILED, Actor.SYSTEM, claim_id=claim.id,
                     error=error[:80])
        return True


def claims_due_for_assessment(session_factory: SessionFactory, limit: int = 1000
                              ) -> list[tuple[int, ClaimStatus, datetime]]:
    """(claim id, status, submitted at) of claims not yet decided, oldest first."""
    with session_factory() as session:
        return [(claim_id, ClaimStatus(status), submitted_at)
                for claim_id, status, submitted_at in session.execute(
                    select(Claim.id, Claim.status, Claim.submitted_at).where(
                        Claim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.ASSESSING]))
                    .order_by(Claim.id).limit(limit))]


def facts_for(session: Session, journeys: Mapping[K, Journey]) -> dict[K, JourneyFacts]:
    """Each journey (a booking and the legs of one direction) as the operations data tell
    it, in one query for all of them."""
    arrivals = operations_records(session, [booking for booking, _legs in journeys.values()])
    return {key: journey_facts(legs, arrivals.get(booking.operator_id, {}))
            for key, (booking, legs) in journeys.items()}


def claim_journeys(claims: Iterable[Claim]) -> dict[int, Journey]:
    return {claim.id: (claim.booking, claim.journey_legs)
            for claim in claims if claim.booking is not None}


class Arrival(NamedTuple):
    """What an operations record tells of one arrival (core.journey.ArrivalLike)."""

    actual_arrival: datetime | None
    cancelled: bool
    cause: str
    notice_days: int | None
    rerouted_departure: datetime | None
    rerouted_arrival: datetime | None
    # The operator's scheduled arrival: the cross-check that it is the leg's train.
    scheduled_arrival: datetime | None


def operations_records(session: Session, bookings: Sequence[BookingWithLegs]
                       ) -> dict[int, dict[OperationsKey, Arrival]]:
    """The operations records of the bookings' legs: per operator, by (service, service
    day, stop) as core.journey.operations_key gives them. Service names are the
    operator's own ("RE 1" runs for many operators at "Berlin Hbf"): one operator's
    record never decides another operator's claim.

    Read as rows, not ORM objects: the rules only read them, and every claim page and
    every batch of decisions asks."""
    keys = {(booking.operator_id, *operations_key(leg))
            for booking in bookings for leg in booking.legs}
    if not keys:
        return {}
    by_operator: dict[int, dict[OperationsKey, Arrival]] = {}
    for row in session.execute(_RECORDS_WITH_KEYS, {"keys": sorted(keys)}):
        by_operator.setdefault(row[0], {})[(row[1], row[2], row[3])] = Arrival(*row[4:])
    return by_operator


# Built once, with the keys as one expanding parameter (see filing._BOOKINGS_WITH_REFERENCE).
_records = cast(Table, OperationsRecord.__table__)
_RECORDS_WITH_KEYS = select(
    _records.c.operator_id, _records.c.service, _records.c.service_date, _records.c.stop,
    *(_records.c[name] for name in Arrival._fields),
).where(tuple_(_records.c.operator_id, _records.c.service, _records.c.service_date,
               _records.c.stop).in_(bindparam("keys", expanding=True)))


def _same_account(claim: Claim, on_file: str | None) -> bool:
    """The account the passenger typed is the one on the booking: the same IBAN, or the
    sort code and number of the booking's GB IBAN."""
    if claim.payout_method == "uk-account":
        return uk_account_of_iban(on_file) == UkAccount(claim.payout_sort_code or "",
                                                        claim.payout_account_number or "")
    return claim.payout_iban == on_file


def decision_for(booking: Booking, legs: Sequence[BookingLeg], facts: JourneyFacts, *,
                 passenger_disagrees: bool,
                 claim: Claim | None = None, duplicate: bool = False,
                 fare_amount: Decimal | None = None) -> Decision:
    """The rules and the operator's policy on a booking; without a claim, the preview.
    fare_amount: the price the passenger answered a clerk with, over the booking's."""
    typed_iban = claim is not None and claim.payout_method in ("iban", "uk-account")
    signals = ClaimSignals(
        passenger_disagrees=passenger_disagrees, possible_duplicate=duplicate,
        name_changed=claim is not None and not surname_matches(
            booking.passenger_name, surname_of(claim.passenger_name)),
        payout_account_changed=typed_iban and booking.payment_iban is not None
        and claim is not None and not _same_account(claim, booking.payment_iban),
        payout_holder_differs=typed_iban and claim is not None and not surname_matches(
            booking.passenger_name, surname_of(claim.payout_holder or "")),
        claimed_at=claim.submitted_at if claim is not None else utcnow())
    fare = booking_facts(booking, legs)
    if fare_amount is not None:
        fare = replace(fare, fare=replace(fare.fare, amount=fare_amount))
    return decide(fare, facts, operator_policy(booking.operator), signals)


class PolicyColumns(Protocol):
    """An operator's policy as stored: the operator, or a row that carries its columns."""

    @property
    def minimum_payout(self) -> Decimal: ...
    @property
    def uk_scheme(self) -> str: ...
    @property
    def season_flat_amount(self) -> Decimal: ...
    @property
    def season_cap_percent(self) -> int: ...
    @property
    def auto_approve_limit(self) -> Decimal: ...
    @property
    def second_approval_above(self) -> Decimal: ...


def operator_policy(operator: PolicyColumns) -> OperatorPolicy:
    return OperatorPolicy(
        minimum_payout=operator.minimum_payout, uk_scheme=operator.uk_scheme,
        season=SeasonPolicy(operator.season_flat_amount, operator.season_cap_percent),
        limits=amount_limits(operator))


def amount_limits(operator: PolicyColumns) -> AmountLimits:
    return AmountLimits(operator.auto_approve_limit, operator.second_approval_above)


class FareColumns(Protocol):
    """What the rules read of a booking: the booking, or the claim page's row of it."""

    @property
    def regime(self) -> str: ...
    @property
    def fare_amount(self) -> Decimal: ...
    @property
    def fare_currency(self) -> str: ...
    @property
    def fare_kind(self) -> str: ...
    @property
    def scheme(self) -> str | None: ...
    @property
    def carrier_eu(self) -> bool | None: ...


class PricedLeg(Protocol):
    @property
    def leg_amount(self) -> Decimal | None: ...


def booking_facts(booking: FareColumns, legs: Sequence[PricedLeg]) -> BookingFacts:
    last = legs[-1]
    return BookingFacts(
        regime=booking.regime,
        fare=Fare(booking.fare_amount, booking.fare_currency, booking.fare_kind),
        scheme=booking.scheme, carrier_eu=booking.carrier_eu, leg_amount=last.leg_amount)


def preview(booking: FareColumns, legs: Sequence[PricedLeg], facts: JourneyFacts,
            policy: OperatorPolicy) -> Decision:
    """What the rules would decide on a claim filed now, with nothing added to the
    booking: the claim page's preview (decision_for without a claim)."""
    return decide(booking_facts(booking, legs), facts, policy, ClaimSignals(claimed_at=utcnow()))


def _with_booking(query: Select[Claim]) -> Select[Claim]:
    return query.options(joinedload(Claim.booking).joinedload(Booking.operator),
                         joinedload(Claim.booking).selectinload(Booking.legs))


def _start(session: Session, claim: Claim) -> None:
    move(claim, ClaimStatus.ASSESSING)
    record_event(session, EventKind.ASSESSMENT_STARTED, Actor.SYSTEM, claim_id=claim.id)


def _decide_batch(session: Session, claims: Sequence[Claim]) -> dict[int, Outcome]:
    """assessing -> decided for claims locked in this transaction, bookings loaded."""
    facts = facts_for(session, claim_journeys(claims))
    # Decided before: back from a clerk's question with an answer the rules read.
    answered = answered_facts(session, [claim.id for claim in claims
                                        if claim.decided_at is not None])
    twins = twins_of(session, {claim.id: journey_of(claim) for claim in claims})
    duplicates = set(twins)
    outcomes: dict[int, Outcome] = {}
    for claim in claims:
        # The earlier claim for the same journey, for the clerk to see beside this one.
        claim.twin_claim_id = twins[claim.id][0].id if claim.id in twins else None
        if claim.booking is None:
            # Filed without a booking: there is nothing for the rules to check it against.
            move(claim, ClaimStatus.NEEDS_REVIEW)
            claim.decided_at = utcnow()
            claim.reason_codes = [ReasonCode.NO_BOOKING.value] + (
                [ReasonCode.POSSIBLE_DUPLICATE.value] if claim.id in duplicates else [])
            record_event(session, EventKind.CLAIM_DECIDED, Actor.SYSTEM, claim_id=claim.id,
                         reason_count=len(claim.reason_codes))
            outcomes[claim.id] = Outcome(ClaimStatus.NEEDS_REVIEW, notify=False)
            continue
        answer = answered.get(claim.id)
        journey = answer.applied_to(facts[claim.id]) if answer else facts[claim.id]
        decision = decision_for(claim.booking, claim.journey_legs, journey,
                                passenger_disagrees=passenger_says_otherwise(claim),
                                claim=claim, duplicate=claim.id in duplicates,
                                fare_amount=answer.price if answer else None)
        if answer is not None and (decision.status != ClaimStatus.APPROVED
                                   or answer.disputes(facts[claim.id])):
            # Only a clear approval goes ahead alone: the clerk who asked decides the rest
            # (and a cause the passenger names against the operator's data), the outcome
            # before the answer beside the new one.
            decision = replace(decision, status=ClaimStatus.NEEDS_REVIEW, reasons=(
                *decision.reasons, ReasonCode.PASSENGER_ANSWERED))
        _apply(claim, decision, journey)
        record_event(session, EventKind.CLAIM_DECIDED, Actor.SYSTEM, claim_id=claim.id,
                     reason_count=len(decision.reasons))
        notify = bool(claim.passenger_email) and decision.status != ClaimStatus.NEEDS_REVIEW
        outcomes[claim.id] = Outcome(decision.status, notify)
    return outcomes


@dataclass(frozen=True)
class AnsweredFacts:
    """What a passenger answered a clerk with that the rules read: the newest of each."""

    actual_arrival: datetime | None = None
    price: Decimal | None = None
    cause: str | None = None

    def applied_to(self, facts: JourneyFacts) -> JourneyFacts:
        if self.actual_arrival is not None:
            facts = replace(facts, actual_arrival=self.actual_arrival,
                            has_operations_data=True)
        if self.cause is not None:
            facts = replace(facts, cause=self.cause)
        return facts

    def disputes(self, facts: JourneyFacts) -> bool:
        """The passenger names another cause than the operator's data: what was said
        against the data is a clerk's to weigh, whatever the rules make of it."""
        return self.cause is not None and self.cause != facts.cause


def answered_facts(session: Session, claim_ids: Sequence[int]) -> dict[int, AnsweredFacts]:
    """The facts answered on requests that sent these claims to the rules again."""
    if not claim_ids:
        return {}
    found: dict[int, AnsweredFacts] = {}
    for row in session.execute(select(
            InfoRequest.claim_id, InfoRequest.actual_arrival, InfoRequest.price,
            InfoRequest.cause)
            .where(InfoRequest.claim_id.in_(claim_ids), InfoRequest.rerun.is_(True))
            .order_by(InfoRequest.id)):
        known = found.get(row.claim_id, AnsweredFacts())
        found[row.claim_id] = AnsweredFacts(row.actual_arrival or known.actual_arrival,
                                            row.price if row.price is not None
                                            else known.price, row.cause or known.cause)
    return found


def _apply(claim: Claim, decision: Decision, facts: JourneyFacts) -> None:
    move(claim, decision.status)
    record_decision(claim, decision, facts)


def record_decision(claim: Claim, decision: Decision, facts: JourneyFacts) -> None:
    """The decision's facts on the claim, whatever status it leads to: by the workflow, or
    by a proactive check (which offers a clear case rather than approving it)."""
    claim.decided_at = utcnow()
    claim.delay_minutes = facts.delay_minutes
    claim.reason_codes = [str(code) for code in decision.reasons] or None
    if decision.assessment is not None:
        record_assessment(claim, decision.assessment)


def passenger_says_otherwise(claim: Claim) -> bool:
    """The passenger gave their own account (a statement, another train they arrived
    with): a person reads it before anything is decided against or beside it."""
    return bool(claim.statement or claim.arrived_with_service)


def record_assessment(claim: Claim, assessment: Assessment) -> None:
    """The rules' answer on the claim: by the workflow, or by a clerk's cohort decision."""
    claim.eligible = assessment.eligible
    claim.amount = assessment.amount
    claim.currency = assessment.currency
    claim.percent = assessment.percent
    claim.rule = assessment.rule
    claim.legal_basis = assessment.legal_basis
    # Both languages are kept: the passenger may switch language on the status page.
    claim.explanation_en = assessment.explanation_en
    claim.explanation_de = assessment.explanation_de
