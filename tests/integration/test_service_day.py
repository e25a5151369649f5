"""The right train's data: a leg is matched to the operations records of its train's
service day (the day the train left its first station), not of its own departure date,
and a record whose scheduled arrival is more than 30 minutes off the leg's is another
train's: not used, the claim goes to a clerk and the reports count it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from claims.db.models import BookingLeg, Claim, JourneyCheck, OperationsRecord
from claims.operators import accounts
from claims.reporting import effort_catch_up
from claims.reporting.reports import CostModel, ReportFilter, report
from tests.helpers import (
    create_operator,
    file_claim,
    load,
    look_up,
    mails,
    run_worker,
    write_lines,
)
from tests.records import DAY, arrival, rail_booking

# ICE 1007 leaves its first station late on the evening of SERVICE_DAY; the passenger
# boards it at 00:20 on the next day, BOARDED.
SERVICE_DAY = DAY
BOARDED = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()
FOLLOWING = (date.fromisoformat(DAY) + timedelta(days=2)).isoformat()


def night_booking(reference: str = "NIGHT1", **leg: Any) -> dict[str, Any]:
    return rail_booking(reference, passenger={"name": "Nora Nacht",
                                              "email": "nora@example.org"},
                        legs=[{"service": "ICE 1007", "origin": "Erfurt Hbf",
                               "destination": "München Hbf",
                               "scheduled_departure": f"{BOARDED}T00:20:00+01:00",
                               "scheduled_arrival": f"{BOARDED}T02:35:00+01:00", **leg}])


# The train of the booked service day, 80 minutes late at München (25 % of 79.00 EUR) ...
LATE_TRAIN = arrival(service="ICE 1007", stop="München Hbf", date=SERVICE_DAY,
                     actual=f"{BOARDED}T03:55:00+01:00")
# ... and the next day's train of the same number, on time the night after.
NEXT_DAYS_TRAIN = arrival(service="ICE 1007", stop="München Hbf", date=BOARDED,
                          actual=f"{FOLLOWING}T02:36:00+01:00")


def _claim(app: Flask) -> Claim:
    with app.extensions["effortless"].session_factory() as session:
        return session.scalars(select(Claim)).one()


def test_a_train_boarded_after_midnight_is_decided_on_its_service_days_record(
        app: Flask) -> None:
    create_operator(app)
    load(app, [night_booking(service_date=SERVICE_DAY)], [LATE_TRAIN, NEXT_DAYS_TRAIN])
    client = app.test_client()
    look_up(client, "NIGHT1", "Nacht")
    # The claim page's preview reads the same record as the decision.
    assert "You are owed 19.75 EUR" in client.get("/claim").get_data(as_text=True)
    file_claim(app, "NIGHT1", "Nacht")
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.delay_minutes, claim.amount) == (
        "approved", 80, Decimal("19.75"))


def test_the_proactive_check_finds_the_booking_from_its_service_days_record(
        app: Flask) -> None:
    key = create_operator(app)
    accounts.configure_operator(app.extensions["effortless"].session_factory, "test-rail",
                                proactive_mode="offer")
    load(app, [night_booking(service_date=SERVICE_DAY)])
    _send_operations(app, key, LATE_TRAIN)
    claim = _claim(app)
    assert (claim.status, claim.origin, claim.amount) == ("offered", "proactive",
                                                          Decimal("19.75"))
    assert [to for to, _subject in mails(app)] == ["nora@example.org"]
    # The next day's train is not the passenger's: its record touches nothing.
    _send_operations(app, key, NEXT_DAYS_TRAIN)
    claim = _claim(app)
    assert (claim.status, claim.amount) == ("offered", Decimal("19.75"))
    assert len(mails(app)) == 1


def test_a_leg_without_a_service_date_is_its_departure_days_train(app: Flask) -> None:
    """As before the service day was kept: the leg's departure date names its train."""
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller"})], [arrival()])
    with app.extensions["effortless"].session_factory() as session:
        assert set(session.scalars(select(BookingLeg.service_date))) == {
            date.fromisoformat(DAY)}
    file_claim(app, "Q7K2LM", "Müller")
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.delay_minutes, claim.amount) == (
        "approved", 74, Decimal("19.75"))


def test_the_scheduled_arrival_stops_the_next_days_train_deciding_a_night_leg(
        app: Flask) -> None:
    """Without the service date, the night leg names the next day's train; where its
    record carries its scheduled arrival (a day later), it is not used and a clerk looks,
    rather than a day's delay paid."""
    create_operator(app)
    load(app, [night_booking()], [
        LATE_TRAIN, {**NEXT_DAYS_TRAIN, "scheduled_arrival": f"{FOLLOWING}T02:35:00+01:00"}])
    file_claim(app, "NIGHT1", "Nacht")
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.reason_codes, claim.amount) == (
        "needs_review", ["operations-mismatch"], None)


def test_a_record_of_another_train_goes_to_a_clerk_and_is_counted(app: Flask) -> None:
    """IC 2013 is booked to arrive at 11:44; a record scheduled for 12:29 is not its."""
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival(scheduled_arrival=f"{DAY}T12:29:00+01:00")])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    page = client.get("/claim").get_data(as_text=True)
    assert "You are owed" not in page
    file_claim(app, "Q7K2LM", "Müller")
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.reason_codes, claim.delay_minutes, claim.amount) == (
        "needs_review", ["operations-mismatch"], None, None)

    factory = app.extensions["effortless"].session_factory
    effort_catch_up.refresh_all(factory, settle=timedelta(0))
    figures = report(factory, ReportFilter(),
                     CostModel(Decimal("36.00"), Decimal("0.01"), Decimal("0.50")))
    assert [(d.driver, d.claims) for d in figures.drivers] == [
        ("reason:operations-mismatch", 1)]


def test_a_record_20_minutes_off_the_schedule_is_the_legs_train(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller"})],
         [arrival(scheduled_arrival=f"{DAY}T12:04:00+01:00")])
    file_claim(app, "Q7K2LM", "Müller")
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.delay_minutes, claim.amount) == (
        "approved", 74, Decimal("19.75"))


def test_another_trains_record_is_neither_offered_nor_an_invitation(app: Flask) -> None:
    """Whether the passenger's train was late at all is unknown: no offer, and no mail
    telling them of a disrupted journey."""
    key = create_operator(app)
    accounts.configure_operator(app.extensions["effortless"].session_factory, "test-rail",
                                proactive_mode="pay")
    load(app, [rail_booking()])
    _send_operations(app, key, arrival(scheduled_arrival=f"{DAY}T12:29:00+01:00"))
    with app.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(Claim)).all() == []
        check = session.scalars(select(JourneyCheck)).one()
        assert (check.outcome, check.eligible) == ("not-due", False)
    assert mails(app) == []


def test_a_held_offer_goes_to_a_clerk_when_corrected_data_name_another_train(
        app: Flask) -> None:
    key = create_operator(app)
    accounts.configure_operator(app.extensions["effortless"].session_factory, "test-rail",
                                proactive_mode="offer")
    load(app, [rail_booking()])
    _send_operations(app, key, arrival())
    assert _claim(app).status == "offered"
    _send_operations(app, key, arrival(scheduled_arrival=f"{DAY}T12:29:00+01:00"))
    claim = _claim(app)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["operations-mismatch"])


def test_imports_keep_the_service_date_and_the_scheduled_arrival(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    create_operator(app)
    file = write_lines(tmp_path / "bookings.jsonl", [night_booking(service_date=SERVICE_DAY)])
    assert runner.invoke(args=["bookings", "import", str(file)]).exit_code == 0
    ops = write_lines(tmp_path / "ops.jsonl", [{
        **LATE_TRAIN, "scheduled_arrival": f"{BOARDED}T02:35:00+01:00"}])
    assert runner.invoke(args=["operations", "import", str(ops)]).exit_code == 0
    with app.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(BookingLeg.service_date)).one() == \
            date.fromisoformat(SERVICE_DAY)
        record = session.scalars(select(OperationsRecord)).one()
        assert record.scheduled_arrival is not None
        assert record.scheduled_arrival.isoformat() == f"{BOARDED}T02:35:00+01:00"


def test_a_bad_service_date_is_rejected_with_its_line(app: Flask, runner: FlaskCliRunner,
                                                      tmp_path: Path) -> None:
    create_operator(app)
    too_early = (date.fromisoformat(BOARDED) - timedelta(days=3)).isoformat()
    file = write_lines(tmp_path / "bookings.jsonl", [
        night_booking("GOOD01", service_date=SERVICE_DAY),
        night_booking("BAD002", service_date="3 March"),
        night_booking("BAD003", service_date=FOLLOWING),
        night_booking("BAD004", service_date=too_early),
    ])
    result = runner.invoke(args=["bookings", "import", str(file)])
    assert result.exit_code == 1
    assert "line 2: legs[0].service_date: a date such as 2026-03-02" in result.output
    bound = (f"legs[0].service_date: the day the train left its first station, {BOARDED} "
             "(the leg's departure date) or up to 2 days before it")
    assert f"line 3: {bound}" in result.output
    assert f"line 4: {bound}" in result.output
    assert "1 created, 0 replaced, 3 rejected" in result.output


def test_the_api_document_names_the_new_optional_fields(app: Flask) -> None:
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for variant in schemas["Booking"]["oneOf"]:
        leg = variant["properties"]["legs"]["items"]
        assert leg["properties"]["service_date"]["format"] == "date"
        assert "service_date" not in leg["required"]
    assert "legs[].service_date" in schemas["Booking"]["description"]
    for variant in schemas["OperationsRecord"]["oneOf"]:
        assert variant["properties"]["scheduled_arrival"]["format"] == "date-time"
        assert "scheduled_arrival" not in variant["required"]


def _send_operations(app: Flask, key: str, *records: dict[str, Any]) -> None:
    """The operator sends its operations records through the API; the workers check."""
    response = app.test_client().post(
        "/api/v1/operations", data="\n".join(json.dumps(r) for r in records),
        headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    run_worker(app)
