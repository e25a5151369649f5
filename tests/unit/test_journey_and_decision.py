from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from claims.decision import FareFacts, ReasonCode, decide
from claims.journey import delay_minutes, journey_facts, operations_key
from claims.models import ClaimStatus
from claims.records import parse_booking, parse_operations
from claims.rules.delay_bands import assess_eu_rail
from tests.records import arrival, rail_booking


@dataclass
class Arrival:
    actual_arrival: datetime | None
    cancelled: bool = False
    cause: str = "technical"


def facts_for(booking: dict, *records: dict):
    legs = parse_booking(booking).legs
    arrivals = {}
    for record in records:
        parsed = parse_operations(record)
        arrivals[(parsed.service, parsed.service_date, parsed.stop)] = parsed
    return journey_facts(legs, arrivals)


def test_delay_is_measured_at_the_final_destination() -> None:
    facts = facts_for(rail_booking(), arrival(service="ICE 597", stop="Mannheim Hbf",
                                              actual="2026-03-02T10:53:00+01:00"), arrival())
    assert facts.delay_minutes == 74
    assert facts.destination == "Stuttgart Hbf"
    assert facts.missed_connection_at is None


def test_delay_compares_instants_across_offsets_and_rounds_down() -> None:
    scheduled = datetime.fromisoformat("2026-10-25T02:30:00+02:00")  # summer time
    actual = datetime.fromisoformat("2026-10-25T02:29:59+01:00")  # an hour later, winter
    assert delay_minutes(scheduled, actual) == 59
    # The same wall-clock time after the switch is an hour later.
    assert delay_minutes(scheduled, datetime.fromisoformat("2026-10-25T02:30:00+01:00")) == 60
    assert delay_minutes(scheduled, datetime.fromisoformat("2026-10-25T00:20:00Z")) == 0


def test_a_late_first_leg_that_misses_the_connection_is_noticed() -> None:
    facts = facts_for(rail_booking(), arrival(service="ICE 597", stop="Mannheim Hbf",
                                              actual="2026-03-02T11:20:00+01:00"), arrival())
    assert facts.missed_connection_at == "Mannheim Hbf"


def test_no_operations_data_means_no_delay_known() -> None:
    facts = facts_for(rail_booking())
    assert not facts.has_operations_data
    assert facts.delay_minutes is None


def test_operations_key_uses_the_local_departure_date() -> None:
    leg = parse_booking(rail_booking()).legs[0]
    assert operations_key(leg)[1].isoformat() == "2026-03-02"


@pytest.mark.parametrize(("delay", "percent", "amount", "rule"), [
    (59, None, "0.00", "eu-rail.19-1"),
    (60, 25, "9.98", "eu-rail.19-1-a"),
    (119, 25, "9.98", "eu-rail.19-1-a"),
    (120, 50, "19.95", "eu-rail.19-1-b"),
])
def test_eu_rail_bands_round_half_up_once(delay: int, percent: int | None, amount: str,
                                          rule: str) -> None:
    result = assess_eu_rail(delay, Decimal("39.90"), "EUR")
    assert (result.percent, result.amount, result.rule) == (percent, Decimal(amount), rule)
    assert result.eligible is (percent is not None)
    assert f"{delay} minutes" in result.explanation_en
    assert f"{delay} Minuten" in result.explanation_de


FARE = FareFacts(Decimal("79.00"), "EUR", "single")


def test_clear_cases_are_decided_and_edge_cases_go_to_a_clerk_with_reasons() -> None:
    late = facts_for(rail_booking(), arrival())
    assert decide("eu-rail", late, FARE, passenger_disagrees=False).status == ClaimStatus.APPROVED
    on_time = facts_for(rail_booking(), arrival(actual="2026-03-02T11:50:00+01:00"))
    decision = decide("eu-rail", on_time, FARE, passenger_disagrees=False)
    assert decision.status == ClaimStatus.REJECTED
    assert decision.assessment is not None and decision.assessment.rule == "eu-rail.19-1"

    unknown = decide("eu-rail", facts_for(rail_booking()), FARE, passenger_disagrees=False)
    assert unknown.status == ClaimStatus.NEEDS_REVIEW
    assert unknown.reasons == (ReasonCode.NO_OPERATIONS_DATA,)

    disputed = decide("eu-rail", on_time, FARE, passenger_disagrees=True)
    assert disputed.status == ClaimStatus.NEEDS_REVIEW
    assert disputed.reasons == (ReasonCode.PASSENGER_STATEMENT,)

    cancelled = facts_for(rail_booking(), arrival(actual=None, cancelled=True))
    assert decide("eu-rail", cancelled, FARE, passenger_disagrees=False).reasons == (
        ReasonCode.CANCELLED,)


def test_return_fares_pay_on_half_the_price() -> None:
    late = facts_for(rail_booking(), arrival())
    decision = decide("eu-rail", late, FareFacts(Decimal("79.00"), "EUR", "return"),
                      passenger_disagrees=False)
    assert decision.assessment is not None
    assert decision.assessment.amount == Decimal("9.88")  # 25 % of 39.50, half up
