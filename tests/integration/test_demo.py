import hashlib
import json
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from claims.db.models import Booking, Claim, OperationsRecord, Operator, User
from claims.reporting import effort_store
from claims.reporting.reports import CostModel, ReportFilter, report
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
        # The 400 asked for, and Lena Sommer's, whose late train makes her an offer.
        assert len(session.scalars(select(Booking.id).where(
            ~Booking.reference.like("H______"))).all()) == 401
        assert session.scalars(select(OperationsRecord.id)).first() is not None
        assert set(session.scalars(select(User.role))) == {"clerk", "manager"}

    offers = sorted(app.extensions["effortless"].settings.outbox_path.glob("*-offer.eml"))
    assert len(offers) == 1 and str(offers[0]) in result.output
    assert "OFFER1 / Sommer" in result.output

    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "nothing seeded" in again.output


def test_the_demo_holds_half_a_year_for_the_manager(app: Flask,
                                                    runner: FlaskCliRunner) -> None:
    """A manager's first look: weeks of claims, clerk work, payouts, CES answers, forms
    never sent and a storm day; the same every time it is seeded on the same day."""
    result = runner.invoke(args=["demo", "seed", "--bookings", "200"])
    assert "demo history: the 26 weeks before the last 8 days" in result.output
    factory = app.extensions["effortless"].session_factory
    effort_store.refresh_all(factory)
    figures = report(factory, ReportFilter(), CostModel(Decimal("42.00"), Decimal("0.002"),
                                                        Decimal("0.15")))
    assert figures.first_day is not None and figures.last_day is not None
    assert (figures.last_day - figures.first_day).days >= 180
    assert len(figures.weeks) >= 26 and figures.claims > 1000
    assert 0.5 < (figures.straight_through_decision or 0) < 0.9
    # The product got better: more straight through at the end than at the start.
    assert (figures.weeks[-3].straight_through or 0) > (figures.weeks[1].straight_through or 1)
    assert figures.payout_time.p50 and figures.decision_time.p90
    assert figures.abandoned > 100 and figures.total_cost > 500
    paths = {p.path: p for p in figures.paths}
    assert paths["clerk"].clerk_minutes > 1 and paths["touchless"].ces_mean
    drivers = {d.driver for d in figures.drivers}
    assert {"reason:passenger-statement", "reason:missed-connection"} <= drivers
    with factory() as session:
        storm = session.scalar(select(func.count()).select_from(Claim).where(
            Claim.rule == "eu-rail.19-10", Claim.status == "rejected",
            Claim.assigned_to.is_not(None)))
    assert storm and storm >= 40
    # Seeded again: the history is there once.
    again = runner.invoke(args=["demo", "seed", "--bookings", "200"])
    assert "demo history" not in again.output
