"""What the rules need to know about one journey, whichever regime assesses it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from claims.core.journey import delay_minutes


@dataclass(frozen=True)
class Fare:
    amount: Decimal
    currency: str
    kind: str  # single, return or season


@dataclass(frozen=True)
class SeasonPolicy:
    """An operator's flat amount per qualifying delay on a season ticket (Art. 19(2)),
    capped at a share of the pass value. Operator configuration, not law."""

    flat_amount: Decimal = Decimal("5.00")
    cap_percent: int = 25


@dataclass(frozen=True)
class JourneyInput:
    regime: str
    scheduled_arrival: datetime
    actual_arrival: datetime | None = None
    cancelled: bool = False
    cause: str = "unknown"
    fare: Fare | None = None
    leg_amount: Decimal | None = None
    minimum_payout: Decimal = Decimal("4.00")
    informed_before_purchase: bool = False
    scheme: str = "DR15"
    origin: str | None = None
    destination: str | None = None
    carrier_eu: bool | None = None
    scheduled_departure: datetime | None = None
    cancellation_notice_days: int | None = None
    rerouted_departure: datetime | None = None
    rerouted_arrival: datetime | None = None
    season: SeasonPolicy = field(default_factory=SeasonPolicy)

    def required_fare(self) -> Fare:
        """The fare, for the regimes that pay a share of it; the request checks it is there."""
        if self.fare is None:
            raise ValueError(f"{self.regime} pays a share of the fare: the fare is needed")
        return self.fare

    @property
    def delay_minutes(self) -> int | None:
        if self.actual_arrival is None:
            return None
        return delay_minutes(self.scheduled_arrival, self.actual_arrival)
