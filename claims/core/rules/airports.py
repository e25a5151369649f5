"""Airports: where they are (airportsdata), whether Regulation 261/2004 covers them, and
the great-circle distance between two of them."""

from __future__ import annotations

from functools import cache
from math import asin, cos, radians, sin, sqrt
from typing import Any

import airportsdata

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius

# The EU's 27 members (Åland with Finland, the Canaries with Spain, the Azores and Madeira
# with Portugal), the outermost regions with codes of their own, and Iceland, Norway and
# Switzerland, where the regulation also applies. The United Kingdom left in 2021.
REGULATION_AREA = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "AX",
    "GP", "GF", "MQ", "RE", "YT", "MF",
    "IS", "NO", "CH",
})


@cache
def _airports() -> dict[str, Any]:
    return airportsdata.load("IATA")


def codes() -> list[str]:
    """Every IATA code airportsdata knows, sorted: what the API document lists."""
    return sorted(_airports())


def known(code: str) -> bool:
    return code in _airports()


def in_regulation_area(code: str) -> bool:
    return _airports()[code]["country"] in REGULATION_AREA


def distance_km(origin: str, destination: str) -> float:
    a, b = _airports()[origin], _airports()[destination]
    lat1, lon1, lat2, lon2 = map(radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))
