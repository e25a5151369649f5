"""The passenger's look-up matches the typed surname in the database, on the booking's
folded name key (claims.core.names.name_key): found exactly where surname_matches says,
on SQLite and PostgreSQL, and kept with the name through re-imports and erasure."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from claims.core.names import surname_matches
from claims.core.vocabulary import EventKind
from claims.db.models import Booking, ClaimEvent
from claims.passengers import filing
from claims.processing import erasure
from tests.helpers import create_operator, load
from tests.records import rail_booking

NAMES = ["Hans Müller", "Jörg Groß", "Anna de Vries", "Ayşe Öztürk",
         "Claire Dupont-Martin", "Lucía García", "\uff2b\uff45\uff4e Watanabe"]  # full-width "Ken"
TYPED = ["Müller", "MUELLER", "  mueller ", "Mueller Hans", "Mull", "GROSS", "de vries",
         "Vries", "Anna de Vries Smith", "Oeztuerk", "dupont martin", "tin", "GARCIA",
         "watanabe", "-", "%", "_", "", "  "]


@pytest.fixture
def bookings(app: Flask) -> dict[str, int]:
    create_operator(app)
    load(app, [rail_booking(f"REF{index}", passenger={"name": name})
               for index, name in enumerate(NAMES)])
    with app.extensions["effortless"].session_factory() as session:
        return {reference: booking_id for reference, booking_id in session.execute(
            select(Booking.reference, Booking.id))}


def _found_events(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(ClaimEvent).where(
            ClaimEvent.kind == EventKind.BOOKING_FOUND)) or 0)


def test_the_database_finds_a_booking_exactly_where_the_surname_matches(
        app: Flask, bookings: dict[str, int]) -> None:
    factory = app.extensions["effortless"].session_factory
    found = expected = 0
    for index, name in enumerate(NAMES):
        for typed in TYPED:
            # Typed as passengers type references, too: lower case, with a dash.
            booking_id = filing.find_booking(factory, f"ref-{index}", typed)
            matches = surname_matches(name, typed)
            assert booking_id == (bookings[f"REF{index}"] if matches else None), (name, typed)
            found += booking_id is not None
            expected += matches
    assert found == expected >= len(NAMES)
    # One BOOKING_FOUND event per booking found, none for a miss.
    assert _found_events(app) == found


def test_another_bookings_reference_with_the_right_surname_is_not_found(
        app: Flask, bookings: dict[str, int]) -> None:
    factory = app.extensions["effortless"].session_factory
    assert filing.find_booking(factory, "REF1", "Müller") is None
    assert filing.find_booking(factory, "NOSUCH", "Müller") is None
    assert _found_events(app) == 0


def test_a_look_up_that_records_nothing_writes_no_event(
        app: Flask, bookings: dict[str, int]) -> None:
    factory = app.extensions["effortless"].session_factory
    assert filing.find_booking(factory, "REF0", "Müller",
                               record_lookup=False) == bookings["REF0"]
    assert _found_events(app) == 0


def test_a_reimported_name_is_looked_up_by_its_new_surname(
        app: Flask, bookings: dict[str, int]) -> None:
    load(app, [rail_booking("REF0", passenger={"name": "Hans Schmidt"})])
    factory = app.extensions["effortless"].session_factory
    assert filing.find_booking(factory, "REF0", "Müller") is None
    assert filing.find_booking(factory, "REF0", "Schmidt") == bookings["REF0"]


def test_an_erased_booking_is_found_by_no_name(app: Flask, bookings: dict[str, int]) -> None:
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        booking = session.get(Booking, bookings["REF0"])
        assert booking is not None
        erasure._erase_booking(booking)
    with factory() as session:
        assert session.scalar(select(Booking.passenger_name_key).where(
            Booking.id == bookings["REF0"])) == ""
    for typed in ("Müller", erasure.ERASED_NAME, "Hans Müller"):
        assert filing.find_booking(factory, "REF0", typed) is None
