"""Regulation (EC) 261/2004: scope, distance bands, delays, cancellations, exemptions."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from claims.core.rules import airports, eu_air
from claims.core.rules.causes import CAUSES, EU_AIR_EXTRAORDINARY
from claims.core.rules.journey_input import JourneyInput

DEPARTURE = datetime.fromisoformat("2026-07-10T10:00:00+02:00")
ARRIVAL = datetime.fromisoformat("2026-07-10T11:15:00+02:00")


def flight(origin: str = "FRA", destination: str = "CDG", *, late: int | None = 200,
           **changes: Any) -> JourneyInput:
    values: dict[str, Any] = {
        "regime": "eu-air", "origin": origin, "destination": destination,
        "scheduled_departure": DEPARTURE, "scheduled_arrival": ARRIVAL,
        "actual_arrival": None if late is None else ARRIVAL + timedelta(minutes=late),
        "carrier_eu": True,
    }
    values.update(changes)
    return JourneyInput(**values)


@pytest.mark.parametrize(("origin", "destination", "carrier_eu", "covered"), [
    ("FRA", "JFK", False, True),    # departs the EU: always
    ("JFK", "FRA", True, True),     # arrives in the EU on an EU carrier
    ("JFK", "FRA", False, False),   # ... not on another carrier
    ("LHR", "FRA", True, True),     # the UK is outside, but arriving with an EU carrier
    ("LHR", "FRA", False, False),
    ("FRA", "LHR", False, True),
    ("LHR", "JFK", True, False),    # neither end in the EU
    ("PTP", "CDG", False, True),    # Guadeloupe is an outermost region
    ("RUN", "CDG", False, True),    # Réunion
    ("CAY", "ORY", False, True),    # French Guiana
    ("FDF", "ORY", False, True),    # Martinique
    ("DZA", "RUN", False, True),    # Mayotte
    ("SFG", "CDG", False, True),    # Saint-Martin
    ("PDL", "LIS", False, True),    # the Azores
    ("FNC", "LIS", False, True),    # Madeira
    ("LPA", "MAD", False, True),    # the Canary Islands
    ("KEF", "JFK", False, True),    # Iceland applies it
    ("OSL", "JFK", False, True),    # Norway
    ("ZRH", "JFK", False, True),    # Switzerland
    ("GIB", "LHR", True, False),    # Gibraltar is not in it
])
def test_scope(origin: str, destination: str, carrier_eu: bool, covered: bool) -> None:
    result = eu_air.assess(flight(origin, destination, carrier_eu=carrier_eu, late=300))
    assert result.eligible is covered
    if not covered:
        assert (result.rule, result.amount) == ("eu-air.3", Decimal("0.00"))


@pytest.mark.parametrize(("origin", "destination", "band", "amount"), [
    ("FRA", "CDG", 1, "250.00"),   # 447 km
    ("LHR", "FRA", 1, "250.00"),   # 653 km
    ("FRA", "LIS", 2, "400.00"),   # 1,872 km, intra-EU
    ("FRA", "LPA", 2, "400.00"),   # 3,183 km, intra-EU
    ("CDG", "RUN", 2, "400.00"),   # 9,369 km but intra-EU: never band 3
    ("FRA", "CAI", 2, "400.00"),   # 2,923 km, leaves the EU
    ("FRA", "JFK", 3, "600.00"),   # 6,188 km
    ("KEF", "JFK", 3, "600.00"),   # 4,163 km
])
def test_bands_from_the_great_circle_distance(origin: str, destination: str, band: int,
                                              amount: str) -> None:
    assert eu_air.band_for(origin, destination)[0].number == band
    result = eu_air.assess(flight(origin, destination, late=300))
    assert result.amount == Decimal(amount)
    assert result.percent is None


@pytest.mark.parametrize(("distance", "intra", "band"), [
    (1500.0, False, 1), (1500.01, False, 2), (1500.01, True, 2),
    (3500.0, False, 2), (3500.01, False, 3), (3500.01, True, 2),
])
def test_band_edges(monkeypatch: pytest.MonkeyPatch, distance: float, intra: bool,
                    band: int) -> None:
    monkeypatch.setattr(airports, "distance_km", lambda a, b: distance)
    monkeypatch.setattr(airports, "in_regulation_area", lambda code: intra or code == "FRA")
    assert eu_air.band_for("FRA", "XXX")[0].number == band


def test_distance_is_the_great_circle_between_the_airports() -> None:
    assert round(airports.distance_km("FRA", "JFK")) == 6188
    assert airports.distance_km("CDG", "FRA") == airports.distance_km("FRA", "CDG")


@pytest.mark.parametrize(("origin", "destination", "late", "amount", "rule"), [
    ("FRA", "CDG", 179, "0.00", "eu-air.7-delay"),
    ("FRA", "CDG", 180, "250.00", "eu-air.7-1-a"),
    ("FRA", "LIS", 179, "0.00", "eu-air.7-delay"),
    ("FRA", "LIS", 180, "400.00", "eu-air.7-1-b"),
    ("FRA", "JFK", 179, "0.00", "eu-air.7-delay"),
    ("FRA", "JFK", 180, "300.00", "eu-air.7-2-c"),
    ("FRA", "JFK", 240, "300.00", "eu-air.7-2-c"),
    ("FRA", "JFK", 241, "600.00", "eu-air.7-1-c"),
])
def test_delay_thresholds(origin: str, destination: str, late: int, amount: str,
                          rule: str) -> None:
    result = eu_air.assess(flight(origin, destination, late=late))
    assert (result.amount, result.rule, result.delay_minutes) == (Decimal(amount), rule, late)
    assert result.currency == "EUR"


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_every_cause(cause: str) -> None:
    delayed = eu_air.assess(flight(late=300, cause=cause))
    cancelled = eu_air.assess(flight(late=None, cancelled=True, cause=cause))
    exempt = cause in EU_AIR_EXTRAORDINARY
    for result in (delayed, cancelled):
        assert result.eligible is not exempt
        if exempt:
            assert result.rule == "eu-air.5-3"


def test_own_staff_strikes_and_technical_faults_are_not_extraordinary() -> None:
    assert {"own-staff-strike", "technical", "unknown"}.isdisjoint(EU_AIR_EXTRAORDINARY)


def _reroute(leaves_early: timedelta, arrives_late: timedelta) -> dict[str, Any]:
    return {"rerouted_departure": DEPARTURE - leaves_early,
            "rerouted_arrival": ARRIVAL + arrives_late}


H, M = timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(("notice", "reroute", "amount", "rule"), [
    (14, {}, "0.00", "eu-air.5-1-c-i"),
    (30, {}, "0.00", "eu-air.5-1-c-i"),
    (13, {}, "250.00", "eu-air.5-1-c-a"),
    (13, _reroute(2 * H, 4 * H - M), "0.00", "eu-air.5-1-c-ii"),
    (7, _reroute(2 * H, 4 * H - M), "0.00", "eu-air.5-1-c-ii"),
    (7, _reroute(2 * H + M, 3 * H), "250.00", "eu-air.5-1-c-a"),   # left too early
    (7, _reroute(2 * H, 4 * H), "250.00", "eu-air.5-1-c-a"),       # arrived 4 h late
    (6, _reroute(2 * H, 3 * H), "250.00", "eu-air.5-1-c-a"),       # under 7 days: 1 h / 2 h
    (6, _reroute(H, 2 * H - M), "0.00", "eu-air.5-1-c-iii"),
    (0, _reroute(H, 2 * H - M), "0.00", "eu-air.5-1-c-iii"),
    (6, _reroute(H + M, H), "125.00", "eu-air.7-2-a"),             # halved: within 2 h
    (6, _reroute(H, 2 * H), "125.00", "eu-air.7-2-a"),             # exactly 2 h: halved
    (6, _reroute(0 * H, 2 * H + M), "250.00", "eu-air.5-1-c-a"),   # over 2 h: whole
    (None, {}, "250.00", "eu-air.5-1-c-a"),                        # notice unknown: none
])
def test_cancellations_notice_and_reroutes_band_1(notice: int | None, reroute: dict[str, Any],
                                                  amount: str, rule: str) -> None:
    result = eu_air.assess(flight(late=None, cancelled=True, cancellation_notice_days=notice,
                                  **reroute))
    assert (result.amount, result.rule) == (Decimal(amount), rule)


@pytest.mark.parametrize(("destination", "arrives_late", "amount", "rule"), [
    ("LIS", 3 * H, "200.00", "eu-air.7-2-b"),
    ("LIS", 3 * H + M, "400.00", "eu-air.5-1-c-b"),
    ("JFK", 4 * H, "300.00", "eu-air.7-2-c"),
    ("JFK", 4 * H + M, "600.00", "eu-air.5-1-c-c"),
])
def test_article_7_2_halving_windows_by_band(destination: str, arrives_late: timedelta,
                                             amount: str, rule: str) -> None:
    result = eu_air.assess(flight("FRA", destination, late=None, cancelled=True,
                                  cancellation_notice_days=3, **_reroute(3 * H, arrives_late)))
    assert (result.amount, result.rule) == (Decimal(amount), rule)
    assert result.delay_minutes == int(arrives_late.total_seconds() // 60)


def test_unknown_arrival_of_a_delayed_flight() -> None:
    result = eu_air.assess(flight(late=None))
    assert (result.eligible, result.rule) == (False, "eu-air.arrival-unknown")


def test_delay_across_time_zones_compares_instants() -> None:
    # Scheduled 11:15 in Paris (+02:00), doors open 07:20 in New York (-04:00) = 13:20 CEST.
    arrival = datetime.fromisoformat("2026-07-10T07:20:00-04:00")
    result = eu_air.assess(flight("FRA", "JFK", late=None, actual_arrival=arrival))
    assert result.delay_minutes == 125


def test_the_german_explanation_writes_numbers_the_german_way() -> None:
    result = eu_air.assess(flight("FRA", "LIS", late=300))
    assert "Flug über 1.872 km: 400,00 EUR." in result.explanation_de
    assert "on a 1,872 km flight: 400.00 EUR." in result.explanation_en
