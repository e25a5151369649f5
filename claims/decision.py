"""The decision policy: approve or reject only what is clear; send the rest to a clerk
with the reasons why."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from claims.journey import JourneyFacts
from claims.models import ClaimStatus, Regime
from claims.rules.engine import assess
from claims.rules.journey_input import Fare, JourneyInput, SeasonPolicy
from claims.rules.result import Assessment


class ReasonCode(StrEnum):
    """Why a claim left the straight-through path. Drives the clerk queue and reports."""

    NO_OPERATIONS_DATA = "no-operations-data"
    NO_ARRIVAL_TIME = "no-arrival-time"
    MISSED_CONNECTION = "missed-connection"
    CANCELLED = "cancelled"
    SEASON_TICKET = "season-ticket"
    PASSENGER_STATEMENT = "passenger-statement"
    AMOUNT_OVER_LIMIT = "amount-over-limit"


@dataclass(frozen=True)
class OperatorPolicy:
    minimum_payout: Decimal = Decimal("4.00")
    uk_scheme: str = "DR15"
    season: SeasonPolicy = field(default_factory=SeasonPolicy)
    auto_approve_limit: Decimal = Decimal("600.00")


@dataclass(frozen=True)
class BookingFacts:
    regime: str
    fare: Fare
    scheme: str | None
    carrier_eu: bool | None
    leg_amount: Decimal | None = None


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


def decide(booking: BookingFacts, facts: JourneyFacts, policy: OperatorPolicy, *,
           passenger_disagrees: bool) -> Decision:
    reasons: list[ReasonCode] = []
    if not facts.has_operations_data:
        return Decision(ClaimStatus.NEEDS_REVIEW, None, (ReasonCode.NO_OPERATIONS_DATA,)
                        + ((ReasonCode.PASSENGER_STATEMENT,) if passenger_disagrees else ()))
    assessment = assess(journey_input(booking, facts, policy))

    if assessment.rule.endswith("arrival-unknown"):
        # A cancelled train: the passenger's real arrival, on some later service, is unknown.
        reasons.append(ReasonCode.CANCELLED if facts.cancelled else ReasonCode.NO_ARRIVAL_TIME)
    if facts.missed_connection_at is not None:
        reasons.append(ReasonCode.MISSED_CONNECTION)
    if booking.fare.kind == "season" and assessment.eligible:
        # The cap runs over the pass's whole validity: earlier payouts must be counted.
        reasons.append(ReasonCode.SEASON_TICKET)
    if passenger_disagrees:
        reasons.append(ReasonCode.PASSENGER_STATEMENT)
    if assessment.eligible and assessment.amount > policy.auto_approve_limit:
        reasons.append(ReasonCode.AMOUNT_OVER_LIMIT)

    if reasons:
        return Decision(ClaimStatus.NEEDS_REVIEW, assessment, tuple(reasons))
    status = ClaimStatus.APPROVED if assessment.eligible else ClaimStatus.REJECTED
    return Decision(status, assessment, ())
