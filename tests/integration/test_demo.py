import email
import email.policy
import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from claims.db.models import Booking, Claim, OperationsRecord, Operator, Payout, PayoutRun, User
from claims.db.types import utcnow
from claims.reporting import effort_catch_up
from claims.reporting.reports import CostModel, ReportFilter, report
from tests.helpers import csrf_token, sign_in, status_links_in
from tools import demo
from workflows.pipeline import sweep
from workflows.queues import CLAIMS_QUEUE
from workflows.worker import ClaimsWorker

NEW_IBAN = "DE44 5001 0517 5407 3249 31"


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
        # The 400 asked for, Lena Sommer's, whose late train makes her an offer, and Clara
        # Hoffmann's, whose transfer the bank returned.
        assert len(session.scalars(select(Booking.id).where(
            ~Booking.reference.like("H______"))).all()) == 402
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
    effort_catch_up.refresh_all(factory)
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


def _clara(factory: Any) -> tuple[Claim, list[Payout]]:
    with factory() as session:
        claim = session.scalars(select(Claim).join(Booking, Booking.id == Claim.booking_id)
                                .where(Booking.reference == "DEMO09")).one()
        payouts = list(session.scalars(select(Payout).where(Payout.claim_id == claim.id)
                                       .order_by(Payout.part)))
        session.expunge_all()
    return claim, payouts


def test_the_demo_shows_the_money_a_scheduled_run_a_returned_transfer_and_time_to_money(
        app: Flask, runner: FlaskCliRunner) -> None:
    seeded_at = utcnow()
    result = runner.invoke(args=["demo", "seed", "--bookings", "200"])
    assert result.exit_code == 0, result.output
    current = app.extensions["effortless"]
    factory = current.session_factory

    # Schedules: Demo Rail's next run within five minutes, and the output says when.
    with factory() as session:
        schedules = dict(session.execute(select(Operator.slug, Operator.payout_schedule)).all())
        next_run = session.scalar(select(Operator.payout_next_run_at)
                                  .where(Operator.slug == "demo-rail"))
        confirmed = session.scalar(select(func.count()).select_from(Payout).where(
            Payout.confirmed_at.is_not(None)))
    assert schedules == {"demo-rail": "every:5", "demo-air": "manual",
                         "demo-uk": "daily@14:00"}
    # Set as the seed began: a slow seed may end after that slot.
    assert next_run is not None and seeded_at < next_run <= seeded_at + timedelta(minutes=5)
    assert re.search(r"Demo Rail +every 5 minutes, next at \d{4}-\d\d-\d\d \d\d:\d\d",
                     result.output), result.output
    assert re.search(r"Demo Air +by hand", result.output)
    # The history's euro transfers, confirmed by the bank's status reports.
    assert confirmed and confirmed > 50

    # Clara Hoffmann: paid, returned by her bank (account closed), asked for another account.
    claim, [returned] = _clara(factory)
    assert claim.status == "payout_failed" and claim.amount == Decimal("54.95")
    assert returned.returned_at is not None and returned.return_code == "AC04"
    report_file = Path(app.instance_path) / "examples" / "pain002-account-closed.xml"
    assert str(report_file) in result.output
    bank_says = report_file.read_text()
    assert f"<OrgnlEndToEndId>EFF-CLAIM-{claim.id}</OrgnlEndToEndId><TxSts>RJCT</TxSts>" \
        in bank_says and "<Cd>AC04</Cd>" in bank_says
    [mail] = sorted(current.settings.outbox_path.glob(f"*-claim-{claim.id}-payout_failed.eml"))
    assert str(mail) in result.output
    body = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default
                                    ).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "the account is closed" in body
    [link] = status_links_in(body)

    passenger = app.test_client()
    page = passenger.get(link).get_data(as_text=True)
    assert "The reason the bank gave: the account is closed." in page
    assert 'name="iban"' in page and 'name="account_holder"' not in page
    given = passenger.post(link + "/account", data={"csrf_token": csrf_token(page),
                                                    "iban": NEW_IBAN})
    assert given.status_code == 302
    assert _clara(factory)[0].status == "approved"

    # Demo Rail's next scheduled run: the sweeper finds it due, a worker pays her there.
    sweep(factory, current.redis, now=next_run)
    ClaimsWorker([CLAIMS_QUEUE], connection=current.redis).work(burst=True)
    claim, payouts = _clara(factory)
    assert claim.status == "paid"
    assert [(p.part, p.iban, p.returned_at is None) for p in payouts] == [
        (0, returned.iban, False), (1, NEW_IBAN.replace(" ", ""), True)]
    with factory() as session:
        run = session.get(PayoutRun, payouts[1].run_id)
        assert run is not None and run.file_name is not None
    assert f"<EndToEndId>EFF-CLAIM-{claim.id}-1</EndToEndId>" in (
        Path(app.instance_path) / "payouts" / run.file_name).read_text()

    # The manager's report: time to money, per operator and path, in hours.
    manager = app.test_client()
    sign_in(manager, "manager@demo.example", "demo-manager-2026")
    response = manager.get("/reports/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    table = page[page.index('id="time-to-money"'):]
    table = table[:table.index("</table>")]
    # Operator, path (in words), payments, to the file p50 and p90, then the confirmation.
    rows = re.findall(r"<tr><th>([^<]+)</th><td>([^<]+)</td><td>(\d+)</td>"
                      r"<td>([\d.,]+)</td><td>([\d.,]+)</td>", table)
    paths = {(operator, path) for operator, path, *_times in rows}
    assert {("Demo Rail", "filed, decided by the rules"),
            ("Demo Rail", "filed, decided by a clerk"),
            ("Demo Trains UK", "filed, decided by the rules")} <= paths, table
    # Days, not seconds: the weekly runs pay days after the late arrival.
    assert all(24 < float(p50.replace(",", "")) <= float(p90.replace(",", ""))
               for _operator, _path, _count, p50, p90 in rows), table
