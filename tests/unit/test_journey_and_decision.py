from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from claims.core.approvals import AmountLimits
from claims.core.journey import delay_minutes, journey_facts, operations_key, service_day
from claims.core.policy import BookingFacts, ClaimSignals, OperatorPolicy, deadline, decide
from claims.core.rules.journey_input import Fare
from claims.core.vocabulary import ClaimStatus, ReasonCode
from claims.operators.records import parse_booking, parse_operations
from tests.records import DAY, arrival, rail_booking

DAY_BEFORE = (date.fromisoformat(DAY) - timedelta(days=1)).isoformat()


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
                                              actual=f"{DAY}T10:53:00+01:00"), arrival())
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
                                              actual=f"{DAY}T11:20:00+01:00"), arrival())
    assert facts.missed_connection_at == "Mannheim Hbf"


def test_no_operations_data_means_no_delay_known() -> None:
    facts = facts_for(rail_booking())
    assert not facts.has_operations_data
    assert facts.delay_minutes is None


def test_operations_key_uses_the_local_departure_date() -> None:
    leg = parse_booking(rail_booking()).legs[0]
    assert operations_key(leg)[1].isoformat() == DAY


def test_operations_key_uses_the_service_date_the_booking_gives() -> None:
    booking = rail_booking()
    booking["legs"][0]["scheduled_departure"] = f"{DAY}T00:20:00+01:00"
    booking["legs"][0]["service_date"] = DAY_BEFORE
    leg = parse_booking(booking).legs[0]
    assert operations_key(leg) == ("ICE 597", date.fromisoformat(DAY_BEFORE), "Mannheim Hbf")
    # A leg whose service day is not known (NULL in old rows) is its departure's day.
    assert service_day(replace(leg, service_date=None)) == date.fromisoformat(DAY)


def test_a_record_more_than_30_minutes_off_the_schedule_is_not_used() -> None:
    """IC 2013 is booked to arrive at 11:44."""
    at_the_limit = facts_for(rail_booking(), arrival(scheduled_arrival=f"{DAY}T12:14:00+01:00"))
    assert (at_the_limit.mismatch_at, at_the_limit.delay_minutes) == (None, 74)
    beyond = facts_for(rail_booking(), arrival(scheduled_arrival=f"{DAY}T11:13:00+01:00"))
    assert (beyond.mismatch_at, beyond.has_operations_data) == ("Stuttgart Hbf", False)
    decision = decide(BOOKING, beyond, POLICY, SIGNALS)
    assert (decision.status, decision.assessment, decision.reasons) == (
        ClaimStatus.NEEDS_REVIEW, None, (ReasonCode.OPERATIONS_MISMATCH,))


def test_another_trains_record_on_an_earlier_leg_is_no_missed_connection() -> None:
    """The first leg's record is scheduled an hour later than ICE 597: its late arrival
    says nothing of the connection; the last leg's record still prices the claim."""
    facts = facts_for(rail_booking(), arrival(
        service="ICE 597", stop="Mannheim Hbf", actual=f"{DAY}T11:55:00+01:00",
        scheduled_arrival=f"{DAY}T11:51:00+01:00"), arrival())
    assert (facts.mismatch_at, facts.missed_connection_at, facts.delay_minutes) == (
        "Mannheim Hbf", None, 74)
    decision = decide(BOOKING, facts, POLICY, SIGNALS)
    assert decision.status == ClaimStatus.NEEDS_REVIEW
    assert decision.reasons == (ReasonCode.OPERATIONS_MISMATCH,)
    assert decision.assessment is not None and decision.assessment.amount == Decimal("19.75")


BOOKING = BookingFacts("eu-rail", Fare(Decimal("79.00"), "EUR", "single"), None, None)
POLICY = OperatorPolicy()
SIGNALS = ClaimSignals(claimed_at=datetime.now(UTC))
DISAGREES = ClaimSignals(claimed_at=datetime.now(UTC), passenger_disagrees=True)


def test_clear_cases_are_decided_and_edge_cases_go_to_a_clerk_with_reasons() -> None:
    late = facts_for(rail_booking(), arrival())
    approved = decide(BOOKING, late, POLICY, SIGNALS)
    assert approved.status == ClaimStatus.APPROVED
    assert approved.assessment is not None and approved.assessment.amount == Decimal("19.75")

    on_time = facts_for(rail_booking(), arrival(actual=f"{DAY}T11:50:00+01:00"))
    decision = decide(BOOKING, on_time, POLICY, SIGNALS)
    assert decision.status == ClaimStatus.REJECTED
    assert decision.assessment is not None and decision.assessment.rule == "eu-rail.19-1"

    unknown = decide(BOOKING, facts_for(rail_booking()), POLICY, SIGNALS)
    assert (unknown.status, unknown.reasons) == (ClaimStatus.NEEDS_REVIEW,
                                                 (ReasonCode.NO_OPERATIONS_DATA,))

    disputed = decide(BOOKING, on_time, POLICY, DISAGREES)
    assert disputed.status == ClaimStatus.NEEDS_REVIEW
    assert disputed.reasons == (ReasonCode.PASSENGER_STATEMENT,)

    cancelled = facts_for(rail_booking(), arrival(actual=None, cancelled=True))
    assert decide(BOOKING, cancelled, POLICY, SIGNALS).reasons == (
        ReasonCode.CANCELLED,)


def test_force_majeure_is_a_clear_rejection_with_its_rule() -> None:
    storm = facts_for(rail_booking(), arrival(cause="extreme-weather"))
    decision = decide(BOOKING, storm, POLICY, SIGNALS)
    assert decision.status == ClaimStatus.REJECTED
    assert decision.assessment is not None and decision.assessment.rule == "eu-rail.19-10"


def test_amounts_over_the_operators_limit_go_to_a_clerk() -> None:
    late = facts_for(rail_booking(), arrival())
    decision = decide(BOOKING, late, _limits(Decimal("19.74")), SIGNALS)
    assert decision.reasons == (ReasonCode.AMOUNT_OVER_LIMIT,)
    at_limit = decide(BOOKING, late, _limits(Decimal("19.75")), SIGNALS)
    assert at_limit.status == ClaimStatus.APPROVED
    # Within the operator's limit, but above the amount one person may approve alone:
    # the rules never pay what a clerk could not.
    four_eyes = decide(BOOKING, late, _limits(Decimal("600.00"), Decimal("19.00")), SIGNALS)
    assert four_eyes.reasons == (ReasonCode.AMOUNT_OVER_LIMIT,)


def _limits(auto: Decimal, second: Decimal = Decimal("600.00")) -> OperatorPolicy:
    return OperatorPolicy(limits=AmountLimits(auto, second))


def test_the_operators_minimum_and_scheme_are_applied() -> None:
    late = facts_for(rail_booking(), arrival())
    cheap = BookingFacts("eu-rail", Fare(Decimal("15.00"), "EUR", "single"), None, None)
    assert decide(cheap, late, POLICY, SIGNALS).status == "rejected"
    lower = OperatorPolicy(minimum_payout=Decimal("2.00"))
    assert decide(cheap, late, lower, SIGNALS).status == "approved"

    twenty_late = facts_for(rail_booking(), arrival(actual=f"{DAY}T12:04:00+01:00"))
    uk = BookingFacts("uk-rail", Fare(Decimal("30.00"), "GBP", "single"), None, None)
    assert decide(uk, twenty_late, POLICY, SIGNALS).status == "approved"
    assert decide(uk, twenty_late, OperatorPolicy(uk_scheme="DR30"), SIGNALS).status == "rejected"
    own = BookingFacts("uk-rail", Fare(Decimal("30.00"), "GBP", "single"), "DR15", None)
    assert decide(own, twenty_late, OperatorPolicy(uk_scheme="DR30"), SIGNALS).status == "approved"


def test_return_fares_pay_on_half_the_price() -> None:
    late = facts_for(rail_booking(), arrival())
    booking = BookingFacts("eu-rail", Fare(Decimal("79.00"), "EUR", "return"), None, None)
    decision = decide(booking, late, POLICY, SIGNALS)
    assert decision.assessment is not None
    assert decision.assessment.amount == Decimal("9.88")  # 25 % of 39.50, half up


def test_claims_past_the_regimes_deadline_go_to_a_clerk() -> None:
    late = facts_for(rail_booking(), arrival())
    too_late = ClaimSignals(claimed_at=deadline("eu-rail", late.scheduled_arrival)
                            + timedelta(seconds=1))
    assert decide(BOOKING, late, POLICY, too_late).reasons == (ReasonCode.PAST_DEADLINE,)
    just_in_time = ClaimSignals(claimed_at=deadline("eu-rail", late.scheduled_arrival))
    assert decide(BOOKING, late, POLICY, just_in_time).status == ClaimStatus.APPROVED


def test_deadlines_by_regime() -> None:
    arrival_time = datetime.fromisoformat("2026-11-30T18:00:00+01:00")
    assert deadline("eu-rail", arrival_time) == datetime.fromisoformat(
        "2027-02-28T18:00:00+01:00")  # three months, clipped to February's end
    assert deadline("uk-rail", arrival_time) == arrival_time + timedelta(days=28)
    assert deadline("eu-air", arrival_time).year == 2029


def test_duplicates_and_changed_names_are_signals_for_a_clerk() -> None:
    late = facts_for(rail_booking(), arrival())
    now = datetime.now(UTC)
    both = ClaimSignals(claimed_at=now, possible_duplicate=True, name_changed=True)
    assert decide(BOOKING, late, POLICY, both).reasons == (ReasonCode.POSSIBLE_DUPLICATE,
                                                           ReasonCode.NAME_CHANGED)


def test_a_round_trip_on_a_return_ticket_is_two_journeys_split_at_the_stay() -> None:
    from claims.core.journey import legs_by_direction

    legs = rail_booking()["legs"]  # Frankfurt -> Mannheim -> Stuttgart, a change of trains
    back = [{"service": "IC 2012", "origin": "Stuttgart Hbf", "destination": "Mannheim Hbf",
             "scheduled_departure": f"{DAY}T18:10:00+01:00",
             "scheduled_arrival": f"{DAY}T18:50:00+01:00"},
            {"service": "ICE 596", "origin": "Mannheim Hbf",
             "destination": "Frankfurt(Main) Hbf",
             "scheduled_departure": f"{DAY}T19:05:00+01:00",
             "scheduled_arrival": f"{DAY}T19:45:00+01:00"}]
    parsed = parse_booking(rail_booking(legs=legs + back,
                                        fare={"amount": "90.00", "currency": "EUR",
                                              "kind": "return"})).legs
    journeys = legs_by_direction(parsed, "return")
    assert [leg.service for leg in journeys["outbound"]] == ["ICE 597", "IC 2013"]
    assert [leg.service for leg in journeys["return"]] == ["IC 2012", "ICE 596"]
    # A single ticket, or a return whose way back is not booked here: one journey.
    assert list(legs_by_direction(parsed, "single")) == ["outbound"]
    assert list(legs_by_direction(parsed[:2], "return")) == ["outbound"]
