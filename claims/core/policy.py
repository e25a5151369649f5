"""The decision policy: approve or reject only what is clear; send the rest to a clerk
with the reasons why."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from claims.core.approvals import AmountLimits, persons_needed
from claims.core.journey import JourneyFacts
from claims.core.rules.engine import assess
from claims.core.rules.journey_input import Fare, JourneyInput, SeasonPolicy
from claims.core.rules.result import Assessment
from claims.core.vocabulary import ClaimStatus, ReasonCode, Regime

# How long after the scheduled arrival a claim may be filed: EU rail complaints within
# three months (Art. 28(2)), Delay Repay 28 days, EU air by national law (Germany 3 years).
CLAIM_DEADLINES: dict[str, tuple[int, int]] = {  # regime: (months, days)
    "eu-rail": (3, 0),
    "uk-rail": (0, 28),
    "eu-air": (36, 0),
}


@dataclass(frozen=True)
class OperatorPolicy:
    minimum_payout: Decimal = Decimal("4.00")
    uk_scheme: str = "DR15"
    season: SeasonPolicy = field(default_factory=SeasonPolicy)
    limits: AmountLimits = field(default_factory=AmountLimits)


@dataclass(frozen=True)
class BookingFacts:
    regime: str
    fare: Fare
    scheme: str | None
    carrier_eu: bool | None
    leg_amount: Decimal | None = None


@dataclass(frozen=True)
class ClaimSignals:
    """What the claim itself adds to the booking and the operations data."""

    claimed_at: datetime
    passenger_disagrees: bool = False
    possible_duplicate: bool = False
    name_changed: bool = False
    payout_account_changed: bool = False
    payout_holder_differs: bool = False


@dataclass(frozen=True)
class Decision:
    status: ClaimStatus
    assessment: Assessment | None
    reasons: tuple[ReasonCode, ...]


def journey_input(booking: BookingFacts, facts: JourneyFacts,
                  policy: OperatorPolicy) -> JourneyInput:
    return JourneyInput(
        regime=booking.regime, scheduled_arrival=facts.scheduled_arrival,
        actual_arrival=facts.actual_arrival, cancelled=facts.cancelled, cause=facts.cause,
        fare=booking.fare, leg_amount=booking.leg_amount,
        minimum_payout=policy.minimum_payout,
        scheme=booking.scheme or policy.uk_scheme,
        origin=facts.origin if booking.regime == Regime.EU_AIR else None,
        destination=facts.destination if booking.regime == Regime.EU_AIR else None,
        carrier_eu=booking.carrier_eu, scheduled_departure=facts.scheduled_departure,
        cancellation_notice_days=facts.notice_days,
        rerouted_departure=facts.rerouted_departure, rerouted_arrival=facts.rerouted_arrival,
        season=policy.season,
    )


# A claim is answered and paid within a month (2021/782 Art. 19(6); the operators apply
# it to every regime): the date a passenger waiting for a clerk is promised.
ANSWER_WITHIN = timedelta(days=30)


def deadline(regime: str, scheduled_arrival: datetime) -> datetime:
    months, days = CLAIM_DEADLINES[regime]
    year, month = divmod(scheduled_arrival.month - 1 + months, 12)
    day = min(scheduled_arrival.day, calendar.monthrange(scheduled_arrival.year + year,
                                                         month + 1)[1])
    return scheduled_arrival.replace(year=scheduled_arrival.year + year, month=month + 1,
                                     day=day) + timedelta(days=days)


def decide(booking: BookingFacts, facts: JourneyFacts, policy: OperatorPolicy,
           signals: ClaimSignals) -> Decision:
    reasons = _claim_reasons(booking, facts, signals)
    if facts.mismatch_at is not None:
        # A record of another train stood where the leg's was expected: it was not used,
        # and a clerk finds out which train the passenger was on.
        reasons.insert(0, ReasonCode.OPERATIONS_MISMATCH)
    if not facts.has_operations_data:
        # No record of the last leg's train; where there was one of another train, that
        # is the reason, not data still to come.
        missing = () if facts.mismatch_at == facts.destination else (
            ReasonCode.NO_OPERATIONS_DATA,)
        return Decision(ClaimStatus.NEEDS_REVIEW, None, (*missing, *reasons))
    assessment = assess(journey_input(booking, facts, policy))

    if not assessment.arrival_known:
        # A cancelled train: the passenger's real arrival, on some later service, is unknown.
        reasons.append(ReasonCode.CANCELLED if facts.cancelled else ReasonCode.NO_ARRIVAL_TIME)
    if facts.missed_connection_at is not None:
        reasons.append(ReasonCode.MISSED_CONNECTION)
    if booking.fare.kind == "season" and assessment.eligible:
        # The cap runs over the pass's whole validity: earlier payouts must be counted.
        reasons.append(ReasonCode.SEASON_TICKET)
    if assessment.eligible and persons_needed(assessment.amount, policy.limits):
        reasons.append(ReasonCode.AMOUNT_OVER_LIMIT)

    if reasons:
        return Decision(ClaimStatus.NEEDS_REVIEW, assessment, tuple(dict.fromkeys(reasons)))
    status = ClaimStatus.APPROVED if assessment.eligible else ClaimStatus.REJECTED
    return Decision(status, assessment, ())


def _claim_reasons(booking: BookingFacts, facts: JourneyFacts,
                   signals: ClaimSignals) -> list[ReasonCode]:
    reasons = []
    if signals.passenger_disagrees:
        reasons.append(ReasonCode.PASSENGER_STATEMENT)
    if signals.possible_duplicate:
        reasons.append(ReasonCode.POSSIBLE_DUPLICATE)
    if signals.name_changed:
        reasons.append(ReasonCode.NAME_CHANGED)
    if signals.payout_account_changed:
        reasons.append(ReasonCode.PAYOUT_ACCOUNT_CHANGED)
    if signals.payout_holder_differs:
        reasons.append(ReasonCode.PAYOUT_HOLDER_DIFFERS)
    if signals.claimed_at > deadline(booking.regime, facts.scheduled_arrival):
        reasons.append(ReasonCode.PAST_DEADLINE)
    return reasons
