from datetime import date, timedelta
from decimal import Decimal

import pytest

from claims.operators.records import RecordError, parse_booking, parse_operations
from tests.records import DAY, arrival, rail_booking


def test_booking_in_the_documented_format_parses() -> None:
    record = parse_booking(rail_booking(reference="q7k2 lm"))
    assert record.reference == "Q7K2LM"
    assert record.fare_amount == Decimal("79.00")
    assert [leg.service for leg in record.legs] == ["ICE 597", "IC 2013"]
    assert record.legs[0].scheduled_departure.utcoffset() is not None
    assert record.payment_iban == "DE02120300000000202051"


@pytest.mark.parametrize(("change", "message"), [
    ({"regime": "eu-bus"}, "regime: one of"),
    ({"fare": {"amount": 79.0, "currency": "EUR", "kind": "single"}}, "fare.amount: a decimal"),
    ({"fare": {"amount": "79.001", "currency": "EUR", "kind": "single"}}, "at most two"),
    ({"fare": {"amount": "-1", "currency": "EUR", "kind": "single"}}, "non-negative"),
    ({"fare": {"amount": "NaN", "currency": "EUR", "kind": "single"}}, "non-negative"),
    ({"fare": {"amount": "9", "currency": "euro", "kind": "single"}}, "fare.currency"),
    ({"fare": {"amount": "9", "currency": "EUR", "kind": "season"}}, "fare.valid_from"),
    ({"legs": []}, "legs: a non-empty list"),
    ({"passenger": {"name": "  "}}, "passenger.name: required"),
    ({"passenger": {"name": "A B", "email": "not-an-address"}}, "passenger.email"),
    ({"payment": {"iban": "12", "holder": "X"}}, "payment.iban"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"scheme": "DR15"}, "scheme: only uk-rail"),
])
def test_bad_bookings_are_rejected_with_the_field_named(change: dict, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_booking(rail_booking(**change))


def test_times_without_an_offset_are_refused() -> None:
    record = rail_booking()
    record["legs"][0]["scheduled_departure"] = f"{DAY}T10:13:00"
    with pytest.raises(RecordError, match=r"legs\[0\].scheduled_departure: an ISO 8601"):
        parse_booking(record)


def test_a_leg_leaving_before_the_previous_arrives_is_refused() -> None:
    record = rail_booking()
    record["legs"][1]["scheduled_departure"] = f"{DAY}T10:40:00+01:00"
    with pytest.raises(RecordError, match="departs before the previous"):
        parse_booking(record)


def test_air_bookings_need_iata_codes_and_the_carrier_licence() -> None:
    record = rail_booking(regime="eu-air", carrier_eu=True)
    with pytest.raises(RecordError, match="IATA"):
        parse_booking(record)
    with pytest.raises(RecordError, match="carrier_eu: required"):
        parse_booking(rail_booking(regime="eu-air"))


def test_operations_record_parses_and_needs_an_arrival_unless_cancelled() -> None:
    record = parse_operations(arrival())
    assert record.key == ("test-rail", "IC 2013", date.fromisoformat(DAY), "Stuttgart Hbf")
    assert parse_operations(arrival(actual=None, cancelled=True)).actual_arrival is None
    with pytest.raises(RecordError, match="actual_arrival: required"):
        parse_operations(arrival(actual=None))
    with pytest.raises(RecordError, match="cause: one of"):
        parse_operations(arrival(cause="aliens"))
    with pytest.raises(RecordError, match="record: a JSON object"):
        parse_operations([1, 2])


def test_a_leg_keeps_its_service_date_within_two_days_before_its_departure() -> None:
    departure = date.fromisoformat(DAY)
    assert parse_booking(rail_booking()).legs[0].service_date == departure
    for days_before in (0, 1, 2):
        booking = rail_booking()
        booking["legs"][0]["service_date"] = (departure - timedelta(days=days_before)).isoformat()
        assert parse_booking(booking).legs[0].service_date == \
            departure - timedelta(days=days_before)
    booking["legs"][0]["service_date"] = None  # as absent: the departure's date
    assert parse_booking(booking).legs[0].service_date == departure
    for wrong in (departure + timedelta(days=1), departure - timedelta(days=3)):
        booking["legs"][0]["service_date"] = wrong.isoformat()
        with pytest.raises(RecordError, match=r"legs\[0\]\.service_date: the day the train"):
            parse_booking(booking)
    for malformed in ("2026-3-2", 20260302, f"{DAY}T00:00:00+01:00"):
        booking["legs"][0]["service_date"] = malformed
        with pytest.raises(RecordError, match=r"legs\[0\]\.service_date: a date such as"):
            parse_booking(booking)


def test_an_operations_record_may_carry_its_scheduled_arrival() -> None:
    assert parse_operations(arrival()).scheduled_arrival is None
    record = parse_operations(arrival(scheduled_arrival=f"{DAY}T11:44:00+01:00"))
    assert record.scheduled_arrival is not None and record.scheduled_arrival.hour == 11
    with pytest.raises(RecordError, match="scheduled_arrival: an ISO 8601 time"):
        parse_operations(arrival(scheduled_arrival=f"{DAY}T11:44:00"))


@pytest.mark.parametrize("odd", [[1], {"a": 1}, 3.5, True])
def test_odd_json_types_are_rejected_not_crashed_on(odd: object) -> None:
    for field in ("regime", "reference", "operator", "passenger", "fare", "legs", "scheme"):
        with pytest.raises(RecordError):
            parse_booking(rail_booking(**{field: odd}))
    for field in ("cause", "service", "date", "stop", "cancelled", "notice_days"):
        if field == "cancelled" and isinstance(odd, bool):
            continue  # a boolean is what "cancelled" takes
        with pytest.raises(RecordError):
            parse_operations(arrival(**{field: odd}))
