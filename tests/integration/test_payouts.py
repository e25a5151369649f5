"""Payout runs: approved claims paid once, to the account on file, an IBAN or a voucher;
one valid SEPA pain.001 file per operator and run."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from claims.db.models import Claim, Payout
from claims.processing.payouts import run_payouts, voucher_code
from tests.helpers import create_operator, csrf_token, file_claim, load, look_up, run_worker
from tests.records import arrival, rail_booking


@pytest.fixture
def three_late_passengers(app: Flask, runner: FlaskCliRunner) -> None:
    create_operator(app)
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                        "Test Rail", "--payout-account-iban", "DE89 3704 0044 0532 0130 00"])
    no_account = rail_booking("CCCC03", passenger={"name": "Cleo Weber"})
    del no_account["payment"]
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"}),
               rail_booking("BBBB02", passenger={"name": "Ben Wolf"}), no_account],
         [arrival()])


def test_a_payout_run_pays_each_approved_claim_once(
        app: Flask, runner: FlaskCliRunner, three_late_passengers: None, tmp_path: Path) -> None:
    file_claim(app, "AAAA01", "Koch")                                   # account on file
    file_claim(app, "BBBB02", "Wolf", payout="voucher")                 # a voucher
    file_claim(app, "CCCC03", "Weber", payout="iban",                   # an IBAN given
               iban="de44 5001 0517 5407 3249 31", account_holder="Cleo Weber")
    run_worker(app)

    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    assert "test-rail: run 1, 2 transfers, 1 vouchers, 59.25 EUR" in result.output
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        assert set(session.scalars(select(Claim.status))) == {"paid"}
        payouts = {p.method: p for p in session.scalars(select(Payout))}
    assert payouts["account"].iban == "DE02120300000000202051"
    assert payouts["iban"].iban == "DE44500105175407324931"
    assert re.fullmatch(r"EFF-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}",
                        payouts["voucher"].voucher_code or "")

    sepa = (app.instance_path + "/payouts/test-rail-run-000001.xml")
    xml = Path(sepa).read_text()
    assert "pain.001.001.03" in xml
    assert xml.count("<CdtTrfTxInf>") == 2
    assert "<EndToEndId>EFF-CLAIM-1</EndToEndId>" in xml
    assert "<CtrlSum>39.50</CtrlSum>" in xml

    again = runner.invoke(args=["payouts", "run"])
    assert "nothing to pay" in again.output
    with factory() as session:
        assert len(session.scalars(select(Payout.id)).all()) == 3


def test_the_database_refuses_a_second_payout_for_a_claim(
        app: Flask, three_late_passengers: None) -> None:
    file_claim(app, "AAAA01", "Koch")
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    run_payouts(factory, Path(app.instance_path) / "payouts")
    with pytest.raises(IntegrityError), factory.begin() as session:
        session.execute(insert(Payout).values(claim_id=1, run_id=1, method="iban",
                                              amount=Decimal("1.00"), currency="EUR"))


def test_a_bad_iban_is_refused_with_a_message(app: Flask, client: FlaskClient,
                                              three_late_passengers: None) -> None:
    look_up(client, "CCCC03", "Weber")
    page = client.get("/claim").get_data(as_text=True)
    assert 'value="account"' not in page  # nothing on file to offer
    response = client.post("/claim", data={
        "csrf_token": csrf_token(page), "passenger_name": "Cleo Weber", "payout": "iban",
        "iban": "DE00 1234", "account_holder": "Cleo Weber"})
    assert response.status_code == 422
    assert "This is not a valid IBAN" in response.get_data(as_text=True)


def test_a_missing_payout_account_is_reported_and_nothing_paid_until_it_is_given(
        app: Flask, runner: FlaskCliRunner) -> None:
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"})], [arrival()])
    file_claim(app, "AAAA01", "Koch")
    run_worker(app)
    first = runner.invoke(args=["payouts", "run"])
    assert first.exit_code == 1
    assert "test-rail has no payout account" in first.output
    # Nothing paid that no file carries: the claim waits, approved, and nobody is told
    # that money is on its way.
    with app.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(Claim.status)).one() == "approved"
        assert session.scalars(select(Payout)).all() == []
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name", "T",
                        "--payout-account-iban", "DE89370400440532013000"])
    second = runner.invoke(args=["payouts", "run"])
    assert second.exit_code == 0 and "test-rail: run 1, 1 transfers" in second.output
    assert (Path(app.instance_path) / "payouts" / "test-rail-run-000001.xml").exists()


def test_voucher_codes_do_not_repeat() -> None:
    codes = {voucher_code() for _ in range(20000)}
    assert len(codes) == 20000
