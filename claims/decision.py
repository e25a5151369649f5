"""The decision policy: approve or reject only what is clear; send the rest to a clerk
with the reasons why."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from claims.journey import JourneyFacts
from claims.models import ClaimStatus, Regime
from claims.rules.delay_bands import assess_eu_rail, price_basis
from claims.rules.result import Assessment


class ReasonCode(StrEnum):
    NO_OPERATIONS_DATA = "no-operations-data"
    MISSED_CONNECTION = "missed-connection"
    CANCELLED = "cancelled"
    SEASON_TICKET = "season-ticket"
    PASSENGER_STATEMENT = "passenger-statement"
    REGIME_NOT_AUTOMATED = "regime-not-automated"


@dataclass(frozen=True)
class FareFacts:
    amount: Decimal
    currency: str
    kind: str


@dataclass(frozen=True)
class Decision:
    status: ClaimStatus
    assessment: Assessment | None
    reasons: tuple[ReasonCode, ...]


def decide(regime: str, facts: JourneyFacts, fare: FareFacts, *,
           passenger_disagrees: bool) -> Decision:
    assessment = None
    if regime == Regime.EU_RAIL and facts.delay_minutes is not None and fare.kind != "season":
        assessment = assess_eu_rail(facts.delay_minutes, price_basis(fare.amount, fare.kind),
                                    fare.currency)

    reasons: list[ReasonCode] = []
    if regime != Regime.EU_RAIL:
        reasons.append(ReasonCode.REGIME_NOT_AUTOMATED)
    if not facts.has_operations_data:
        reasons.append(ReasonCode.NO_OPERATIONS_DATA)
    if facts.cancelled:
        reasons.append(ReasonCode.CANCELLED)
    if facts.missed_connection_at is not None:
        reasons.append(ReasonCode.MISSED_CONNECTION)
    if fare.kind == "season":
        reasons.append(ReasonCode.SEASON_TICKET)
    if passenger_disagrees:
        reasons.append(ReasonCode.PASSENGER_STATEMENT)

    if reasons or assessment is None:
        return Decision(ClaimStatus.NEEDS_REVIEW, assessment, tuple(reasons))
    status = ClaimStatus.APPROVED if assessment.eligible else ClaimStatus.REJECTED
    return Decision(status, assessment, ())
