"""One entry point for every regime."""

from __future__ import annotations

from collections.abc import Callable

from claims.rules import eu_air, eu_rail, uk_rail
from claims.rules.journey_input import JourneyInput
from claims.rules.result import Assessment

REGIMES: dict[str, Callable[[JourneyInput], Assessment]] = {
    "eu-rail": eu_rail.assess,
    "eu-air": eu_air.assess,
    "uk-rail": uk_rail.assess,
}


def assess(journey: JourneyInput) -> Assessment:
    return REGIMES[journey.regime](journey)
