"""One entry point for every regime."""

from __future__ import annotations

from collections.abc import Callable

from claims.core.rules import eu_air, eu_rail, uk_rail
from claims.core.rules.journey_input import JourneyInput
from claims.core.rules.result import Assessment
from claims.core.vocabulary import Regime

RULES: dict[str, Callable[[JourneyInput], Assessment]] = {
    Regime.EU_RAIL: eu_rail.assess,
    Regime.EU_AIR: eu_air.assess,
    Regime.UK_RAIL: uk_rail.assess,
}


def assess(journey: JourneyInput) -> Assessment:
    return RULES[journey.regime](journey)
