import hashlib
import json

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from claims.db.models import Booking, OperationsRecord, Operator, User
from tools import demo


def _fingerprint(data: demo.DemoData) -> str:
    return hashlib.sha256(json.dumps([data.bookings, data.operations]).encode()).hexdigest()


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _fingerprint(demo.generate(7, 300)) == _fingerprint(demo.generate(7, 300))
    assert _fingerprint(demo.generate(7, 300)) != _fingerprint(demo.generate(8, 300))


def test_the_spread_of_outcomes_is_realistic() -> None:
    data = demo.generate(1, 3000)
    regimes = {b["regime"] for b in data.bookings}
    assert regimes == {"eu-rail", "eu-air", "uk-rail"}
    causes = {r["cause"] for r in data.operations}
    assert {"technical", "extreme-weather"} <= causes
    assert any(r["cancelled"] for r in data.operations)
    booked = {(leg["service"], leg["scheduled_departure"][:10], leg["destination"])
              for b in data.bookings for leg in b["legs"][-1:]}
    observed = {(r["service"], r["date"], r["stop"]) for r in data.operations}
    assert booked - observed, "some services must have no operations data yet"


def test_seed_creates_operators_bookings_and_staff_and_prints_what_to_try(
        app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "seed", "--bookings", "400"])
    assert result.exit_code == 0, result.output
    assert "DEMO01 / Mustermann" in result.output
    assert "approved" in result.output and "goes to a clerk" in result.output
    assert "clerk@demo.example" in result.output
    with app.extensions["effortless"].session_factory() as session:
        assert set(session.scalars(select(Operator.regime))) == {"eu-rail", "eu-air", "uk-rail"}
        assert len(session.scalars(select(Booking.id)).all()) == 400
        assert session.scalars(select(OperationsRecord.id)).first() is not None
        assert set(session.scalars(select(User.role))) == {"clerk", "manager"}

    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "nothing seeded" in again.output
