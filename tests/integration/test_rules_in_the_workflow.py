"""Claims filed in the portal are decided by the rules engine, with the operator's
configuration, and the passenger sees its explanation."""

from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from claims.db.models import Claim
from tests.helpers import create_operator, load, look_up, run_worker, submit
from tests.records import arrival, rail_booking


def air_booking() -> dict:
    return {
        "reference": "AIR123", "operator": "test-air", "regime": "eu-air", "carrier_eu": True,
        "passenger": {"name": "Hans Müller", "email": "hans@example.org"},
        "fare": {"amount": "412.00", "currency": "EUR", "kind": "single"},
        "legs": [{"service": "LH 400", "origin": "FRA", "destination": "JFK",
                  "scheduled_departure": "2026-07-10T10:00:00+02:00",
                  "scheduled_arrival": "2026-07-10T12:45:00-04:00"}]}


def test_a_late_flight_is_decided_by_the_air_rules(app: Flask, client: FlaskClient) -> None:
    create_operator(app, "test-air", "eu-air")
    load(app, [air_booking()], [{"operator": "test-air", "service": "LH 400",
                                 "date": "2026-07-10", "stop": "JFK", "cause": "technical",
                                 "actual_arrival": "2026-07-10T16:30:00-04:00"}])
    look_up(client, "AIR123", "Müller")
    form = client.get("/claim").get_data(as_text=True)
    assert "You are owed 300.00 EUR." in form
    # No account on file: the passenger gives one (the only typing on this path).
    status_url = submit(client, payout="iban", iban="DE89 3704 0044 0532 0130 00",
                        account_holder="Hans Müller").location
    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "Approved: we pay you 300.00 EUR." in page
    assert "Arrived 225 minutes late on a 6,188 km flight: half of 600.00 EUR" in page
    assert "Regulation (EC) 261/2004, Art. 7(1)(c) and 7(2)(c)" in page


def test_force_majeure_is_rejected_with_the_rule_shown(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller"})],
         [arrival(cause="extreme-weather")])
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "No compensation is due." in page
    assert "caused by extreme weather, for which the operator is not liable" in page
    assert "Art. 19(10)" in page


def test_operators_configure_changes_what_the_workflow_does(
        app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    create_operator(app)
    result = runner.invoke(args=["operators", "configure", "test-rail",
                                 "--auto-approve-limit", "10.00", "--minimum-payout", "2.50"])
    assert result.exit_code == 0, result.output
    assert "auto-approve-limit: 10.00" in result.output
    assert "minimum-payout: 2.50" in result.output
    load(app, [rail_booking(passenger={"name": "Hans Müller"})], [arrival()])
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
    assert (claim.status, claim.reason_codes, claim.amount) == (
        "needs_review", ["amount-over-limit"], Decimal("19.75"))


def test_operators_configure_refuses_bad_values(app: Flask, runner: FlaskCliRunner) -> None:
    create_operator(app)
    for arguments, message in ([["--minimum-payout", "4.01"], "at most 4.00"],
                               [["--auto-approve-limit", "lots"], "not an amount"],
                               [["--season-cap-percent", "101"], "0 to 100"]):
        result = runner.invoke(args=["operators", "configure", "test-rail", *arguments])
        assert result.exit_code == 2 and message in result.output
    missing = runner.invoke(args=["operators", "configure", "nobody", "--scheme", "DR30"])
    assert "no operator 'nobody'" in missing.output
