from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from claims.core.rules.journey_input import Fare, JourneyInput

SCHEDULED = datetime.fromisoformat("2026-03-02T11:44:00+01:00")


def late(minutes: int, **changes: Any) -> JourneyInput:
    values: dict[str, Any] = {
        "regime": "eu-rail", "scheduled_arrival": SCHEDULED,
        "actual_arrival": SCHEDULED + timedelta(minutes=minutes),
        "fare": Fare(Decimal("39.90"), "EUR", "single"),
    }
    values.update(changes)
    return JourneyInput(**values)


def fare(amount: str, kind: str = "single", currency: str = "EUR") -> Fare:
    return Fare(Decimal(amount), currency, kind)
