"""Proactive compensation: operations records arrive, every journey they touch is decided
by the same rules and policy as a filed claim, and the operator's mode says what follows.

- off: nothing for the passenger; the check is kept, so the reports can show what was due
  and never claimed.
- offer: a clear case becomes an offered claim; the passenger accepts it with one click
  (or declines it). Without an account on file they choose a voucher or give an IBAN.
- pay: a clear case with an account on file is approved and paid in the next payout run;
  without one it is offered.
A case the policy sends to a clerk gets no offer: the passenger is invited to file (not
where the operations record is another train's: see DATA_IN_DOUBT).

One decision per journey, whoever starts it: an offer is a claim, and claims are unique per
(booking, direction); a journey already claimed gets no offer. Corrected data decide an
offer not yet accepted again; once approved or paid, only a raise follows (never a claw-back).

The work waits in the database (operations_records.proactive_checked), not in a queue: a
lost job or a Redis outage delays it, never loses it, and a check run twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from claims.core.journey import JourneyFacts, legs_by_direction, operations_key
from claims.core.policy import Decision
from claims.core.vocabulary import (
    Actor,
    ClaimStatus,
    Direction,
    EventKind,
    Origin,
    ProactiveMode,
    ReasonCode,
)
from claims.db.bulk import reserve_ids
from claims.db.events import record_event
from claims.db.models import (
    Booking,
    BookingLeg,
    Claim,
    ClaimEvent,
    JourneyCheck,
    OperationsRecord,
)
from claims.db.types import utcnow
from claims.db.unclaimed_due import note_checked
from claims.processing.assessment import decision_for, facts_for, record_decision
from claims.processing.lifecycle import move
from claims.processing.twins import JourneyOf, TwinKey, twin_keys, twins_of

SessionFactory = sessionmaker[Session]
# Operations records taken per transaction. A late train on a storm day carries a few
# hundred bookings: 20 of them make a transaction of some thousands of journeys, and the
# checkers of several workers share a storm's records rather than one taking them all.
RECORDS_PER_BATCH = 20
# The reasons that make a journey no case at all, rather than one for a clerk.
NOT_A_CASE = frozenset({ReasonCode.NO_OPERATIONS_DATA, ReasonCode.PAST_DEADLINE})
# The record found is another train's (core.journey.is_the_legs_train): whether the
# passenger's train was late at all is unknown. An offer it touches goes to a clerk, but no
# money is counted as due on it and nobody is invited to file: the invitation tells of a
# disrupted journey, and the passenger's may have been on time. A passenger who files all
# the same is decided by a clerk (the claim carries the reason).
DATA_IN_DOUBT = frozenset({ReasonCode.OPERATIONS_MISMATCH})
# Where the operator did not say, the e-mail's country decides the offer's language.
GERMAN_MAIL_DOMAINS = (".de", ".at", ".ch", ".li")


class Outcome(StrEnum):
    """What a check of a journey came to (journey_checks.outcome)."""

    OFF = "off"            # the operator does not compensate proactively
    OFFERED = "offered"    # an offer to accept
    PAID = "paid"          # approved without asking, paid in the next run
    INVITED = "invited"    # a case for a clerk: the passenger is invited to file
    CLAIMED = "claimed"    # the passenger had filed already
    NOT_DUE = "not-due"    # nothing due (on time, under the threshold, too late)
    CLERK = "clerk"        # an offer that corrected data made a case for a clerk


@dataclass
class CheckResult:
    """What one batch did, and what the passengers are to hear once it is committed."""

    records: int = 0
    journeys: int = 0
    offers: list[int] = field(default_factory=list)      # claim ids: mail the offer
    decisions: list[int] = field(default_factory=list)   # claim ids: mail the decision
    invitations: list[tuple[int, str]] = field(default_factory=list)  # booking, direction
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, other: CheckResult) -> None:
        self.records += other.records
        self.journeys += other.journeys
        self.offers += other.offers
        self.decisions += other.decisions
        self.invitations += other.invitations
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count


def offer_language(booking: Booking) -> str:
    if booking.passenger_language:
        return booking.passenger_language
    email = (booking.passenger_email or "").lower()
    return "de" if email.endswith(GERMAN_MAIL_DOMAINS) else "en"


def records_waiting(session_factory: SessionFactory) -> bool:
    with session_factory() as session:
        return session.scalar(select(OperationsRecord.id).where(
            OperationsRecord.proactive_checked.is_(False)).limit(1)) is not None


def check_waiting(session_factory: SessionFactory, *,
                  batch: int = RECORDS_PER_BATCH) -> CheckResult:
    """Check the journeys of up to `batch` operations records not yet checked, in one
    transaction; two workers take different records. Empty result: nothing was waiting."""
    for attempt in range(3):
        try:
            with session_factory.begin() as session:
                records = list(session.scalars(
                    select(OperationsRecord)
                    .where(OperationsRecord.proactive_checked.is_(False))
                    .order_by(OperationsRecord.id).limit(batch)
                    .with_for_update(skip_locked=True)))
                result = CheckResult(records=len(records))
                if records:
                    _check_records(session, records, result)
                for record in records:
                    record.proactive_checked = True
                return result
        except IntegrityError:
            # Another worker created the claim (or the check) of a journey both batches
            # touch (two legs of one trip), or the passenger filed that instant: with that
            # row committed, the journey is a correction or a claimed one next time.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def check_all(session_factory: SessionFactory,
              after_each: Callable[[CheckResult], None] | None = None) -> CheckResult:
    """Batch by batch until no record waits; `after_each` runs after each batch's commit
    (the worker queues that batch's e-mails there)."""
    total = CheckResult()
    while (done := check_waiting(session_factory)).records:
        total.add(done)
        if after_each is not None:
            after_each(done)
    return total


def _check_records(session: Session, records: Sequence[OperationsRecord],
                   result: CheckResult) -> None:
    keys = {(r.operator_id, r.service, r.service_date, r.stop) for r in records}
    bookings = _bookings_touched(session, keys)
    journeys: dict[tuple[int, str], tuple[Booking, list[BookingLeg]]] = {}
    for booking in bookings:
        for direction, legs in legs_by_direction(booking.legs, booking.fare_kind).items():
            if any((booking.operator_id, *operations_key(leg)) in keys for leg in legs):
                journeys[(booking.id, direction.value)] = (booking, legs)
    if not journeys:
        return
    facts = facts_for(session, journeys)
    booking_ids = sorted({booking_id for booking_id, _ in journeys})
    claims = {(c.booking_id, c.direction): c for c in session.scalars(
        select(Claim).where(Claim.booking_id.in_(booking_ids)).with_for_update(
            key_share=True))}
    checks = {(c.booking_id, c.direction): c for c in session.scalars(
        select(JourneyCheck).where(JourneyCheck.booking_id.in_(booking_ids)))}
    # The journeys with no claim of their own may have one on another path, or on
    # another booking of the same passenger: in the database, or made in this batch.
    unclaimed = {key: JourneyOf(booking.operator_id, booking.id, booking.passenger_name, legs)
                 for key, (booking, legs) in journeys.items() if key not in claims}
    twins = twins_of(session, unclaimed)
    new_claims = _NewClaims(session, len(unclaimed))
    made: dict[TwinKey, Claim] = {}
    changed_at: list[datetime | None] = []
    for key, (booking, legs) in journeys.items():
        twin = twins[key][0] if key in twins else None
        if key in unclaimed:
            twin = twin or next((made[k] for k in sorted(twin_keys(unclaimed[key]))
                                 if k in made), None)
        outcome = _check_journey(session, booking, legs, key[1], facts[key],
                                 claims.get(key), twin, result, new_claims)
        if key in unclaimed and (new := new_claims.made.get(outcome.claim_id or 0)):
            made.update(dict.fromkeys(twin_keys(unclaimed[key]), new))
        changed_at += _keep_check(session, checks.get(key), booking, key[1], facts[key],
                                  outcome)
        result.journeys += 1
        result.outcomes[outcome.outcome] = result.outcomes.get(outcome.outcome, 0) + 1
    # The reports' sums of unclaimed journeys, to be worked out again for these days.
    note_checked(session, changed_at)


def _bookings_touched(session: Session, keys: Iterable[tuple[int, str, date, str]]
                      ) -> list[Booking]:
    """The bookings with a leg on one of these (operator, service, service day, stop),
    found through the index on (service, destination, service_date). Every leg has its
    service day stored (BookingLeg.service_date), so none is missed by it."""
    wanted = sorted(set(keys))
    matches: set[int] = set()
    for operator_id, service, day, stop in wanted:
        matches.update(session.scalars(
            select(BookingLeg.booking_id).join(Booking, Booking.id == BookingLeg.booking_id)
            .where(BookingLeg.service == service, BookingLeg.destination == stop,
                   BookingLeg.service_date == day, Booking.operator_id == operator_id)))
    if not matches:
        return []
    return list(session.scalars(select(Booking).where(Booking.id.in_(sorted(matches)))
                                .options(selectinload(Booking.legs),
                                         selectinload(Booking.operator))
                                .order_by(Booking.id)))


@dataclass(frozen=True)
class _Checked:
    outcome: Outcome
    decision: Decision
    claim_id: int | None = None


def _check_journey(session: Session, booking: Booking, legs: Sequence[BookingLeg],
                   direction: str, facts: JourneyFacts, claim: Claim | None,
                   twin: Claim | None, result: CheckResult, new_claims: _NewClaims
                   ) -> _Checked:
    decision = decision_for(booking, legs, facts, passenger_disagrees=False,
                            duplicate=claim is None and twin is not None)
    clear = decision.status == ClaimStatus.APPROVED
    if claim is not None and claim.origin != Origin.PROACTIVE:
        return _Checked(Outcome.CLAIMED, decision, claim.id)
    if claim is not None:
        return _correct(session, claim, decision, facts, result)
    if twin is not None and twin.booking_id is None:
        # Claimed already without the booking: that claim is the journey's one decision;
        # no offer, no payment, no invitation. (A twin on another booking makes this a
        # possible duplicate, for a clerk: the passenger is invited to file.)
        return _Checked(Outcome.CLAIMED, decision, twin.id)
    mode = ProactiveMode(booking.operator.proactive_mode)
    if mode == ProactiveMode.OFF:
        return _Checked(Outcome.OFF if _due(decision) else Outcome.NOT_DUE, decision)
    if clear:
        claim = new_claims.add(session, booking, direction)
        return _offer_or_pay(session, claim, decision, facts, result)
    if _for_a_clerk(decision) and not DATA_IN_DOUBT & set(decision.reasons):
        result.invitations.append((booking.id, direction))
        record_event(session, EventKind.FILING_INVITED, Actor.SYSTEM, booking_id=booking.id,
                     reason_count=len(decision.reasons))
        return _Checked(Outcome.INVITED, decision)
    return _Checked(Outcome.NOT_DUE, decision)


def _due(decision: Decision) -> bool:
    """Money is due by the rules (whether or not a clerk must look first)."""
    return decision.assessment is not None and decision.assessment.eligible and \
        not (NOT_A_CASE | DATA_IN_DOUBT) & set(decision.reasons)


def _for_a_clerk(decision: Decision) -> bool:
    """A case the policy hands to a clerk, which may be due: a cancelled train or a missed
    connection (arrival unknown to the rules), or due above the limit, a season ticket."""
    if decision.status != ClaimStatus.NEEDS_REVIEW or NOT_A_CASE & set(decision.reasons):
        return False
    assessment = decision.assessment
    return assessment is None or assessment.eligible or not assessment.arrival_known


class _NewClaims:
    """The batch's new claims, with ids reserved ahead: a claim needs its id at once
    (for its events and its check), and a flush per claim for it was three quarters of
    a storm's checking time (cProfile, 2,000 journeys)."""

    def __init__(self, session: Session, at_most: int) -> None:
        self._ids = iter(reserve_ids(session, Claim, at_most) if at_most else ())
        self.made: dict[int, Claim] = {}

    def add(self, session: Session, booking: Booking, direction: str) -> Claim:
        has_account = booking.payment_iban is not None
        claim = Claim(
            # The id as well as the booking: twins in this batch are told by booking_id.
            id=next(self._ids), booking=booking, booking_id=booking.id,
            direction=Direction(direction),
            operator_id=booking.operator_id, regime=booking.regime,
            status=ClaimStatus.OFFERED, origin=Origin.PROACTIVE,
            language=offer_language(booking), passenger_name=booking.passenger_name,
            passenger_email=booking.passenger_email,
            # Without an account on file the passenger chooses, on accepting, where it goes.
            payout_method="account" if has_account else "none")
        session.add(claim)
        self.made[claim.id] = claim
        return claim


def _offer_or_pay(session: Session, claim: Claim, decision: Decision, facts: JourneyFacts,
                  result: CheckResult) -> _Checked:
    """A clear case, as the operator's mode says: paid to the account on file (pay mode,
    with one), else offered."""
    booking = claim.booking
    assert booking is not None  # a proactive claim is a booking's
    paid = ProactiveMode(booking.operator.proactive_mode) == ProactiveMode.PAY \
        and booking.payment_iban is not None and claim.payout_method == "account"
    record_decision(claim, decision, facts)
    if paid:
        move(claim, ClaimStatus.APPROVED)
        record_event(session, EventKind.CLAIM_DECIDED, Actor.SYSTEM, claim_id=claim.id,
                     booking_id=booking.id, reason_count=0, proactive=1)
        result.decisions.append(claim.id)
        return _Checked(Outcome.PAID, decision, claim.id)
    record_event(session, EventKind.OFFER_MADE, Actor.SYSTEM, claim_id=claim.id,
                 booking_id=booking.id)
    result.offers.append(claim.id)
    return _Checked(Outcome.OFFERED, decision, claim.id)


def _correct(session: Session, claim: Claim, decision: Decision, facts: JourneyFacts,
             result: CheckResult) -> _Checked:
    """The journey's data changed after the proactive decision."""
    status = ClaimStatus(claim.status)
    if status == ClaimStatus.WITHDRAWN and _withdrawn_by_data(session, claim):
        # Corrected data took the offer back; data corrected again may make it due again.
        return _reopen(session, claim, decision, facts, result)
    if status == ClaimStatus.OFFERED:
        return _correct_offer(session, claim, decision, facts, result)
    assessment = decision.assessment
    if status in (ClaimStatus.APPROVED, ClaimStatus.PAID) and assessment is not None \
            and assessment.eligible and claim.amount is not None \
            and assessment.currency == claim.currency and assessment.amount > claim.amount:
        return _raise(session, claim, decision, facts, result)
    if status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
        record_event(session, EventKind.CORRECTION_KEPT, Actor.SYSTEM, claim_id=claim.id)
        return _Checked(Outcome.PAID, decision, claim.id)
    # Declined, withdrawn, or with a clerk: the passenger's answer or the clerk's stands.
    return _Checked(SETTLED.get(status, Outcome.NOT_DUE), decision, claim.id)


def _correct_offer(session: Session, claim: Claim, decision: Decision, facts: JourneyFacts,
                   result: CheckResult) -> _Checked:
    assessment = decision.assessment
    if decision.status == ClaimStatus.APPROVED and assessment is not None:
        if assessment.amount != claim.amount or assessment.rule != claim.rule:
            record_decision(claim, decision, facts)
            record_event(session, EventKind.OFFER_MADE, Actor.SYSTEM, claim_id=claim.id,
                         revised=1)
            result.offers.append(claim.id)
        return _Checked(Outcome.OFFERED, decision, claim.id)
    if _for_a_clerk(decision):
        # Now over the limit, say: the offer the passenger holds goes to a clerk with
        # the new data, rather than asking them to file what they were offered.
        return _to_a_clerk(session, claim, decision, facts)
    move(claim, ClaimStatus.WITHDRAWN)
    record_event(session, EventKind.OFFER_WITHDRAWN, Actor.SYSTEM, claim_id=claim.id,
                 reason_count=len(decision.reasons))
    return _Checked(Outcome.NOT_DUE, decision, claim.id)


def _raise(session: Session, claim: Claim, decision: Decision, facts: JourneyFacts,
           result: CheckResult) -> _Checked:
    """More is due than was approved or paid. The new total goes through the one policy
    (decide, by claims.core.approvals): within it, approved again and the difference paid
    in the next run; over a limit, a clerk (and a second person) first. Never a claw-back."""
    if decision.status != ClaimStatus.APPROVED:
        return _to_a_clerk(session, claim, decision, facts)
    paid = ClaimStatus(claim.status) == ClaimStatus.PAID
    if paid:
        move(claim, ClaimStatus.APPROVED)  # paid in part: the run pays the rest
    record_decision(claim, decision, facts)
    record_event(session, EventKind.AMOUNT_RAISED, Actor.SYSTEM, claim_id=claim.id,
                 top_up=int(paid))
    result.decisions.append(claim.id)
    return _Checked(Outcome.PAID, decision, claim.id)


def _to_a_clerk(session: Session, claim: Claim, decision: Decision,
                facts: JourneyFacts) -> _Checked:
    move(claim, ClaimStatus.NEEDS_REVIEW)
    record_decision(claim, decision, facts)
    claim.assigned_to = claim.assigned_at = None
    record_event(session, EventKind.CLAIM_DECIDED, Actor.SYSTEM, claim_id=claim.id,
                 reason_count=len(decision.reasons))
    return _Checked(Outcome.CLERK, decision, claim.id)


def _withdrawn_by_data(session: Session, claim: Claim) -> bool:
    """Withdrawn by corrected data, not by the passenger (whose choice stands)."""
    last = session.scalar(select(ClaimEvent.kind).where(
        ClaimEvent.claim_id == claim.id,
        ClaimEvent.kind.in_([EventKind.OFFER_WITHDRAWN, EventKind.CLAIM_WITHDRAWN]))
        .order_by(ClaimEvent.id.desc()).limit(1))
    return last == EventKind.OFFER_WITHDRAWN


def _reopen(session: Session, claim: Claim, decision: Decision, facts: JourneyFacts,
            result: CheckResult) -> _Checked:
    """The withdrawn offer's journey decided again, as a journey never offered would be:
    the same claim row (one per journey) made an offer, a payment or a clerk's case."""
    if decision.status == ClaimStatus.APPROVED:
        move(claim, ClaimStatus.OFFERED)
        return _offer_or_pay(session, claim, decision, facts, result)
    if _for_a_clerk(decision) and not DATA_IN_DOUBT & set(decision.reasons):
        return _to_a_clerk(session, claim, decision, facts)
    return _Checked(Outcome.NOT_DUE, decision, claim.id)


# What a proactive claim that corrected data no longer change has come to.
SETTLED = {ClaimStatus.DECLINED: Outcome.OFFERED, ClaimStatus.NEEDS_REVIEW: Outcome.CLERK,
           ClaimStatus.INFO_REQUESTED: Outcome.CLERK}


def _keep_check(session: Session, check: JourneyCheck | None, booking: Booking,
                direction: str, facts: JourneyFacts, checked: _Checked
                ) -> list[datetime | None]:
    """The check written; returns when it was checked, before and now."""
    assessment = checked.decision.assessment
    now = utcnow()
    values = {
        "operator_id": booking.operator_id, "regime": booking.regime,
        "outcome": checked.outcome.value, "eligible": _due(checked.decision),
        "amount": assessment.amount if assessment is not None else None,
        "currency": assessment.currency if assessment is not None else None,
        "arrived_at": facts.actual_arrival or facts.scheduled_arrival,
        "checked_at": now, "claim_id": checked.claim_id,
    }
    if check is None:
        session.add(JourneyCheck(booking_id=booking.id, direction=direction, **values))
        return [now]
    before = check.checked_at
    if check.outcome == Outcome.INVITED and checked.outcome == Outcome.INVITED:
        values.pop("checked_at")  # invited once; the mail is not sent again
    for name, value in values.items():
        setattr(check, name, value)
    if checked.outcome != Outcome.INVITED:
        check.mailed_at = None
    return [before, check.checked_at]


@dataclass(frozen=True)
class Invitation:
    """An e-mail inviting the passenger to file a claim the policy gives to a clerk."""

    booking_id: int
    direction: str
    email: str
    name: str
    language: str
    operator: str
    reference: str
    # The booking's access version when the invitation was sent (common.links).
    access_version: int = 0


def pending_invitation(session_factory: SessionFactory, booking_id: int,
                       direction: str) -> Invitation | None:
    """The invitation to send, or None: no address, filed meanwhile, or sent already."""
    with session_factory() as session:
        check = session.get(JourneyCheck, (booking_id, direction))
        booking = session.get(Booking, booking_id)
        if check is None or booking is None or check.outcome != Outcome.INVITED or \
                check.mailed_at is not None or not booking.passenger_email:
            return None
        if session.scalar(select(Claim.id).where(Claim.booking_id == booking_id,
                                                 Claim.direction == direction)) is not None:
            return None
        return Invitation(booking_id, direction, booking.passenger_email,
                          booking.passenger_name, offer_language(booking),
                          booking.operator.name, booking.reference, booking.access_version)


def mark_invited(session_factory: SessionFactory, booking_id: int, direction: str) -> None:
    with session_factory.begin() as session:
        check = session.get(JourneyCheck, (booking_id, direction))
        if check is not None:
            check.mailed_at = utcnow()
        record_event(session, EventKind.INVITATION_MAILED, Actor.SYSTEM, booking_id=booking_id)


def invitations_due(session_factory: SessionFactory, limit: int = 1000
                    ) -> list[tuple[int, str]]:
    """Invitations not yet mailed: for the sweeper, after an outage."""
    with session_factory() as session:
        return [(b, d) for b, d in session.execute(
            select(JourneyCheck.booking_id, JourneyCheck.direction)
            .join(Booking, Booking.id == JourneyCheck.booking_id)
            .where(JourneyCheck.outcome == Outcome.INVITED, JourneyCheck.mailed_at.is_(None),
                   Booking.passenger_email.is_not(None))
            .order_by(JourneyCheck.booking_id).limit(limit))]
