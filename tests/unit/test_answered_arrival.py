"""The arrival a passenger types in answer to a clerk (a time of day) as the instant the
rules read: on the day and in the UTC offset of the scheduled arrival, the next day only
where it lies well before the scheduled time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from claims.db.models import Booking, BookingLeg, Claim
from claims.passengers.answers import EARLY_TOLERANCE, arrival_instant

OFFSETS = st.sampled_from([timezone(timedelta(hours=h)) for h in (-5, 0, 1, 2)])


def _booked(scheduled: datetime) -> Claim:
    leg = BookingLeg(service="IC 2013", origin="Mannheim Hbf", destination="Stuttgart Hbf",
                     scheduled_departure=scheduled - timedelta(minutes=38),
                     scheduled_arrival=scheduled)
    return Claim(booking=Booking(fare_kind="single", legs=[leg]), direction="outbound")


@given(scheduled=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
       zone=OFFSETS, typed=st.times())
def test_the_typed_time_is_read_at_the_destination_within_a_day(
        scheduled: datetime, zone: timezone, typed: time) -> None:
    scheduled = scheduled.replace(second=0, microsecond=0, tzinfo=zone)
    actual = arrival_instant(_booked(scheduled), typed)
    assert actual is not None
    assert (actual.hour, actual.minute, actual.utcoffset()) == (
        typed.hour, typed.minute, scheduled.utcoffset())
    assert scheduled - EARLY_TOLERANCE <= actual < scheduled - EARLY_TOLERANCE + timedelta(days=1)


def test_a_journey_without_a_booking_is_read_on_its_own_date() -> None:
    claim = Claim(manual_journey={"date": "2026-12-02", "scheduled_arrival": "23:40"})
    assert arrival_instant(claim, time(0, 25)) == datetime(2026, 12, 3, 0, 25, tzinfo=UTC)
    assert arrival_instant(Claim(), time(12, 0)) is None
