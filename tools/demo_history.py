"""Half a year of history behind the demo's queue, so that a manager's first look shows what
the product is for: claims decided by the rules and by clerks, information asked for,
objections, weekly payout runs (each file's times to money recorded as a payout run
records them), CES answers, forms opened and never sent, and a storm day whose train a
clerk decides at once. Deterministic: the same seed and day give the same
history. Written as the live path writes it: bookings, claims and their events (with
their times in the past), payouts; the effort records then follow from the events."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.rules.engine import assess
from claims.core.rules.journey_input import Fare, JourneyInput
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.models import (
    Booking,
    BookingLeg,
    Claim,
    ClaimEvent,
    Operator,
    Payout,
    PayoutRun,
    User,
)
from claims.processing import money_times
from claims.processing.payouts import voucher_code
from claims.reporting import effort_store

WEEKS = 26
RECENT_DAYS = 8          # the live demo's own days: history ends before them
CLAIMS_PER_DAY = (4, 9)  # a quiet weekday to a busy one
ABANDONED_PER_DAY = (0, 3)
STORM_WEEKS_AGO = 9
STORM_CLAIMS = 45
FILE_WRITTEN_AFTER = timedelta(minutes=1)
# The product gets better over the half-year: more claims go straight through.
STRAIGHT_THROUGH = (0.55, 0.82)
CLERK_REASONS = (
    (ReasonCode.PASSENGER_STATEMENT, 30), (ReasonCode.NO_OPERATIONS_DATA, 18),
    (ReasonCode.MISSED_CONNECTION, 16), (ReasonCode.AMOUNT_OVER_LIMIT, 8),
    (ReasonCode.PAST_DEADLINE, 6), (ReasonCode.NAME_CHANGED, 5),
    (ReasonCode.POSSIBLE_DUPLICATE, 4), (ReasonCode.SEASON_TICKET, 3),
)
NAMES = ("Anna Berger", "Jonas Keller", "Lea Wagner", "Felix Braun", "Marie Hofmann",
         "Paul Schulz", "Emma Koch", "Ben Richter", "Mia Wolf", "Noah Schröder",
         "Clara Neumann", "Elias Schwarz", "Sophie Zimmermann", "Leon Krüger")
RAIL = (("ICE 597", "Frankfurt(Main) Hbf", "Stuttgart Hbf", Decimal("79.00")),
        ("ICE 1001", "Berlin Hbf", "München Hbf", Decimal("129.00")),
        ("IC 2013", "Köln Hbf", "Mannheim Hbf", Decimal("49.00")))
AIR = (("DA 104", "FRA", "MAD"), ("DA 221", "MUC", "LIS"), ("DA 310", "BER", "FCO"))
UK = (("1S15", "London Kings Cross", "Edinburgh", Decimal("129.00")),
      ("1D07", "London Kings Cross", "York", Decimal("89.50")))


@dataclass
class _Context:
    session: Session
    rng: random.Random
    operators: dict[str, Operator]
    clerks: list[int]
    counts: Counter[str]
    runs: dict[tuple[int, str, date], PayoutRun]
    today: date


def write_history(session_factory: sessionmaker[Session], seed: int = 1,
                  today: date | None = None) -> Counter[str]:
    """Writes the history once; a second call finds it and writes nothing."""
    today = today or date.today()
    with session_factory() as session:
        before = session.scalar(select(func.max(ClaimEvent.id))) or 0
    with session_factory.begin() as session:
        if session.scalar(select(Booking.id).where(Booking.reference.like("H______"))):
            return Counter()
        operators = {o.slug: o for o in session.scalars(select(Operator))}
        clerks = list(session.scalars(select(User.id).order_by(User.id)))
        if not clerks or not {"demo-rail", "demo-air", "demo-uk"} <= set(operators):
            return Counter()
        context = _Context(session, random.Random(seed * 7919), operators, clerks,
                           Counter(), {}, today)
        first = today - timedelta(weeks=WEEKS)
        last = today - timedelta(days=RECENT_DAYS)
        day = first
        storm_day = today - timedelta(weeks=STORM_WEEKS_AGO)
        while day <= last:
            progress = (day - first).days / max(1, (last - first).days)
            low, high = CLAIMS_PER_DAY
            busy = context.rng.randint(low, high) + (2 if day.weekday() in (0, 4) else 0)
            for _ in range(busy):
                _claim(context, day, progress)
            for _ in range(context.rng.randint(*ABANDONED_PER_DAY)):
                _abandoned(context, day)
            if day == storm_day:
                _storm(context, day)
            day += timedelta(days=1)
        session.flush()
        _write_files(context)
        after = session.scalar(select(func.max(ClaimEvent.id))) or 0
    # The effort records' mark follows event ids and times; these events are old by their
    # times and were uncommitted a while: their claims' records are built here, at once.
    effort_store.rebuild_window(session_factory, before, after)
    return context.counts


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _event(context: _Context, at: datetime, kind: EventKind, actor: Actor, *,
           claim: Claim | None = None, booking: Booking | None = None,
           actor_id: int | None = None, **counts: object) -> None:
    context.session.add(ClaimEvent(at=at, kind=kind, actor=actor, actor_id=actor_id,
                                   claim_id=claim.id if claim else None,
                                   booking_id=booking.id if booking else None,
                                   counts=counts))


def _booking(context: _Context, day: date, *,
             storm: bool = False) -> tuple[Booking, JourneyInput]:
    rng = context.rng
    roll = rng.random()
    kind = "rail" if roll < 0.62 or storm else "air" if roll < 0.82 else "uk"
    name = rng.choice(NAMES)
    reference = "H" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
    departure = _at(day, rng.randint(6, 19), rng.choice((2, 13, 28, 41, 55)))
    if kind == "rail":
        service, origin, destination, price = RAIL[0] if storm else rng.choice(RAIL)
        operator, fare = context.operators["demo-rail"], Fare(price, "EUR", "single")
        arrival = departure + timedelta(hours=3, minutes=40)
    elif kind == "air":
        service, origin, destination = rng.choice(AIR)
        operator, fare = context.operators["demo-air"], Fare(Decimal("189.00"), "EUR", "single")
        arrival = departure + timedelta(hours=2, minutes=45)
    else:
        service, origin, destination, price = rng.choice(UK)
        operator, fare = context.operators["demo-uk"], Fare(price, "GBP", "single")
        arrival = departure + timedelta(hours=4, minutes=20)
    if storm:
        departure, arrival = _at(day, 10, 13), _at(day, 13, 53)
    booking = Booking(operator_id=operator.id, reference=reference, regime=operator.regime,
                      passenger_name=name, passenger_email=None, fare_amount=fare.amount,
                      fare_currency=fare.currency, fare_kind="single",
                      payment_iban="DE89370400440532013000" if rng.random() < 0.6 else None,
                      payment_holder=name, imported_at=departure - timedelta(days=14))
    booking.legs = [BookingLeg(position=0, service=service, origin=origin,
                               destination=destination, scheduled_departure=departure,
                               scheduled_arrival=arrival)]
    context.session.add(booking)
    context.session.flush()
    late = rng.choice((65, 75, 95, 130, 140, 190)) if not storm else 170
    journey = JourneyInput(regime=operator.regime, scheduled_arrival=arrival,
                           actual_arrival=arrival + timedelta(minutes=late), fare=fare,
                           origin=origin if kind == "air" else None,
                           destination=destination if kind == "air" else None,
                           carrier_eu=True if kind == "air" else None,
                           scheduled_departure=departure,
                           cause="extreme-weather" if storm else "technical")
    return booking, journey


def _claim(context: _Context, day: date, progress: float, *, storm: bool = False) -> None:
    rng = context.rng
    booking, journey = _booking(context, day, storm=storm)
    arrived = journey.scheduled_arrival + timedelta(hours=rng.randint(2, 30))
    found = arrived if not storm else _at(day, 15, rng.randint(0, 59))
    submitted = found + timedelta(seconds=rng.randint(35, 150))
    low, high = STRAIGHT_THROUGH
    touchless = not storm and rng.random() < low + (high - low) * progress
    reasons = [] if touchless else [ReasonCode.PASSENGER_STATEMENT] if storm else [
        _weighted(rng, CLERK_REASONS)]
    statement = "Der Zug stand wegen eines Streiks." if storm else (
        "Ich kam mit dem nächsten Zug an." if ReasonCode.PASSENGER_STATEMENT in reasons else None)
    result = assess(journey)
    claim = Claim(booking_id=booking.id, direction="outbound", operator_id=booking.operator_id,
                  regime=booking.regime, status=ClaimStatus.SUBMITTED,
                  language=rng.choice(("de", "de", "en")), passenger_name=booking.passenger_name,
                  passenger_email=None, statement=statement, submitted_at=submitted,
                  payout_method="account" if booking.payment_iban else "voucher",
                  delay_minutes=result.delay_minutes, eligible=result.eligible,
                  amount=result.amount, currency=result.currency, percent=result.percent,
                  rule=result.rule, legal_basis=result.legal_basis,
                  explanation_en=result.explanation("en"),
                  explanation_de=result.explanation("de"),
                  reason_codes=[r.value for r in reasons] or None)
    context.session.add(claim)
    context.session.flush()
    _event(context, found, EventKind.BOOKING_FOUND, Actor.PASSENGER, booking=booking)
    _event(context, found + timedelta(seconds=4), EventKind.CLAIM_FORM_SHOWN, Actor.PASSENGER,
           booking=booking, fields_shown=4, fields_prefilled=2)
    typed = ["statement"] if statement else []
    _event(context, submitted, EventKind.CLAIM_SUBMITTED, Actor.PASSENGER, claim=claim,
           booking=booking, fields_changed=0, fields_typed=len(typed), fields=" ".join(typed),
           clicks=2 + len(typed), keystrokes=40 * len(typed))
    _event(context, submitted + timedelta(seconds=1), EventKind.ASSESSMENT_STARTED,
           Actor.SYSTEM, claim=claim)
    _event(context, submitted + timedelta(seconds=2), EventKind.CLAIM_DECIDED, Actor.SYSTEM,
           claim=claim, reason_count=len(reasons))
    decided_at = submitted + timedelta(seconds=2)
    if touchless:
        status = ClaimStatus.APPROVED if result.eligible else ClaimStatus.REJECTED
    elif storm:
        return _leave_for_cohort(context, claim)
    else:
        status, decided_at = _clerk_work(context, claim, decided_at, result.eligible, progress)
    claim.status, claim.decided_at = status, decided_at
    _event(context, decided_at + timedelta(seconds=3), EventKind.DECISION_MAILED, Actor.SYSTEM,
           claim=claim)
    for view in range(rng.choice((0, 0, 1, 1, 2))):
        _event(context, decided_at + timedelta(hours=2 + 20 * view), EventKind.STATUS_VIEWED,
               Actor.PASSENGER, claim=claim)
    if status == ClaimStatus.APPROVED:
        _pay(context, claim, booking, decided_at)
    if rng.random() < 0.4:
        claim.ces_score = _ces(rng, touchless, status)
        _event(context, decided_at + timedelta(minutes=rng.randint(2, 600)),
               EventKind.SURVEY_ANSWERED, Actor.PASSENGER, claim=claim, score=claim.ces_score)
    context.counts["touchless" if touchless else "clerk"] += 1
    context.counts[str(claim.status)] += 1


def _clerk_work(context: _Context, claim: Claim, queued: datetime, eligible: bool,
                progress: float) -> tuple[ClaimStatus, datetime]:
    """A clerk takes the claim from the queue (sooner as the half-year goes on), maybe asks
    the passenger first, and decides."""
    rng = context.rng
    clerk = rng.choice(context.clerks)
    opened = queued + timedelta(hours=rng.uniform(1, 40) * (1.4 - progress))
    _event(context, opened, EventKind.CLAIM_TAKEN, Actor.CLERK, claim=claim, actor_id=clerk)
    _event(context, opened, EventKind.WORK_STARTED, Actor.CLERK, claim=claim, actor_id=clerk)
    now = opened + timedelta(minutes=rng.uniform(1.5, 7))
    if rng.random() < 0.2:
        _event(context, now, EventKind.INFO_REQUESTED, Actor.CLERK, claim=claim,
               actor_id=clerk, items=1, asked="statement")
        _event(context, now, EventKind.WORK_ENDED, Actor.CLERK, claim=claim, actor_id=clerk)
        _event(context, now + timedelta(seconds=3), EventKind.INFO_REQUEST_MAILED,
               Actor.SYSTEM, claim=claim)
        answered = now + timedelta(hours=rng.uniform(3, 50))
        _event(context, answered, EventKind.INFO_PROVIDED, Actor.PASSENGER, claim=claim,
               items=1)
        now = answered + timedelta(hours=rng.uniform(1, 20))
        _event(context, now, EventKind.WORK_STARTED, Actor.CLERK, claim=claim,
               actor_id=clerk)
        now += timedelta(minutes=rng.uniform(1, 4))
    approve = (eligible and rng.random() < 0.85) or (not eligible and rng.random() < 0.2)
    _event(context, now, EventKind.CLAIM_DECIDED, Actor.CLERK, claim=claim, actor_id=clerk,
           decision="approved" if approve else "rejected")
    _event(context, now, EventKind.WORK_ENDED, Actor.CLERK, claim=claim, actor_id=clerk)
    claim.assigned_to = clerk
    if not approve and claim.amount:
        claim.eligible = False
    return (ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED), now


def _pay(context: _Context, claim: Claim, booking: Booking, decided: datetime) -> None:
    """The weekly payout run: the Monday after the decision, if it has come."""
    day = decided.date() + timedelta(days=7 - decided.weekday())
    if day >= context.today or not claim.amount or claim.currency is None:
        return
    key = (claim.operator_id, claim.currency, day)
    run = context.runs.get(key)
    if run is None:
        run = PayoutRun(operator_id=claim.operator_id, created_at=_at(day, 6, 0),
                        currency=claim.currency, total=Decimal("0.00"), transfers=0,
                        vouchers=0)
        context.session.add(run)
        context.session.flush()
        context.runs[key] = run
    voucher = claim.payout_method == "voucher"
    context.session.add(Payout(claim_id=claim.id, run_id=run.id, amount=claim.amount,
                               currency=claim.currency, method=claim.payout_method,
                               iban=None if voucher else booking.payment_iban,
                               holder=None if voucher else booking.payment_holder,
                               voucher_code=voucher_code() if voucher else None,
                               created_at=run.created_at))
    run.total += claim.amount
    run.vouchers += int(voucher)
    run.transfers += int(not voucher)
    claim.status = ClaimStatus.PAID
    _event(context, run.created_at, EventKind.CLAIM_PAID, Actor.SYSTEM, claim=claim,
           voucher=int(voucher))
    _event(context, run.created_at + timedelta(seconds=5), EventKind.PAYOUT_MAILED,
           Actor.SYSTEM, claim=claim)


def _write_files(context: _Context) -> None:
    """Each run's transfer file, written a minute after the run (as payout runs write it):
    its transfers' times to money recorded as the live path records them."""
    for run in context.runs.values():
        if not run.transfers:
            continue  # vouchers only: no file for the bank
        suffix = "xml" if run.currency == "EUR" else "txt"  # SEPA, else Bacs Standard 18
        run.file_name = f"history-{run.created_at.date().isoformat()}-run-{run.id:06d}.{suffix}"
        run.file_written_at = run.created_at + FILE_WRITTEN_AFTER
        money_times.record_file_written(context.session, run.id, run.file_written_at)


def _storm(context: _Context, day: date) -> None:
    """A storm: one train, many claims, decided together by one clerk next morning."""
    for _ in range(STORM_CLAIMS):
        _claim(context, day, 0.0, storm=True)
    clerk = context.clerks[0]
    decided = _at(day + timedelta(days=1), 8, 30)
    for claim in context.session.scalars(select(Claim).where(
            Claim.status == ClaimStatus.NEEDS_REVIEW, Claim.submitted_at >= _at(day, 0, 0),
            Claim.submitted_at < _at(day + timedelta(days=1), 0, 0))):
        claim.status, claim.decided_at, claim.eligible = (ClaimStatus.REJECTED, decided,
                                                          False)
        claim.rule, claim.assigned_to = "eu-rail.19-10", clerk
        _event(context, decided, EventKind.CLAIM_DECIDED, Actor.CLERK, claim=claim,
               actor_id=clerk, decision="rejected", cohort=1)
        _event(context, decided + timedelta(seconds=3), EventKind.DECISION_MAILED,
               Actor.SYSTEM, claim=claim)
        context.counts["storm"] += 1
        context.counts[str(ClaimStatus.REJECTED)] += 1


def _leave_for_cohort(context: _Context, claim: Claim) -> None:
    claim.status = ClaimStatus.NEEDS_REVIEW
    context.session.flush()


def _abandoned(context: _Context, day: date) -> None:
    """A passenger looked the booking up, saw the form, and left."""
    booking, _journey = _booking(context, day)
    at = _at(day, context.rng.randint(7, 22), context.rng.randint(0, 59))
    _event(context, at, EventKind.BOOKING_FOUND, Actor.PASSENGER, booking=booking)
    _event(context, at + timedelta(seconds=5), EventKind.CLAIM_FORM_SHOWN, Actor.PASSENGER,
           booking=booking, fields_shown=4, fields_prefilled=2)
    context.counts["abandoned"] += 1


def _ces(rng: random.Random, touchless: bool, status: ClaimStatus) -> int:
    if touchless and status != ClaimStatus.REJECTED:
        return rng.choice((6, 7, 7, 7, 5))
    if status == ClaimStatus.REJECTED:
        return rng.choice((1, 2, 3, 3, 4))
    return rng.choice((3, 4, 5, 5, 6))


def _weighted(rng: random.Random, choices: tuple[tuple[ReasonCode, int], ...]) -> ReasonCode:
    total = sum(weight for _, weight in choices)
    pick = rng.uniform(0, total)
    for code, weight in choices:
        pick -= weight
        if pick <= 0:
            return code
    return choices[-1][0]
