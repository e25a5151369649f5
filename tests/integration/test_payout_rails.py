"""SEPA Instant per operator, UK accounts by sort code and account number (checked by the
modulus rules, paid in a Bacs Standard 18 file), and the report's time to money."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from claims.db.models import Claim, MoneyTimeDay, Payout
from claims.operators import accounts
from tests.helpers import (
    create_operator,
    file_claim,
    hidden_fields,
    load,
    look_up,
    run_worker,
    sign_in,
)
from tests.records import arrival, rail_booking


def _gbp_booking(reference: str) -> dict[str, Any]:
    booking = rail_booking(reference, passenger={"name": "Olivia Brown"},
                           fare={"amount": "40.00", "currency": "GBP", "kind": "single"})
    del booking["payment"]
    return booking


def _operator(app: Flask, runner: FlaskCliRunner, iban: str, *options: str) -> None:
    create_operator(app)
    result = runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                                 "Test Rail", "--payout-account-iban", iban, *options])
    assert result.exit_code == 0, result.output


def test_an_instant_operator_s_file_is_pain_001_001_09_with_inst(
        app: Flask, runner: FlaskCliRunner) -> None:
    _operator(app, runner, "DE89 3704 0044 0532 0130 00", "--sepa-instant")
    load(app, [rail_booking("INST01")], [arrival()])
    file_claim(app, "INST01", "Mustermann")
    run_worker(app)
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    xml = (Path(app.instance_path) / "payouts" / "test-rail-run-000001.xml").read_text()
    assert 'xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"' in xml
    assert "<SvcLvl><Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>INST</Cd></LclInstrm>" in xml
    assert "<EndToEndId>EFF-CLAIM-1</EndToEndId>" in xml


def test_the_claim_form_offers_a_uk_account_for_pounds_only(
        app: Flask, runner: FlaskCliRunner) -> None:
    _operator(app, runner, "GB33BUKB20201555555555")
    load(app, [_gbp_booking("POUND1"), rail_booking("EURO01")], [arrival()])
    pounds = app.test_client()
    look_up(pounds, "POUND1", "Brown")
    assert "UK bank account: sort code + account number" in pounds.get("/claim").get_data(
        as_text=True)
    euros = app.test_client()
    look_up(euros, "EURO01", "Mustermann")
    assert "sort code" not in euros.get("/claim").get_data(as_text=True)


def _refused(app: Flask, language: str) -> str:
    client = app.test_client()
    client.get(f"/language/{language}")
    look_up(client, "POUND1", "Brown")
    page = client.get("/claim").get_data(as_text=True)
    response = client.post("/claim", data={
        **hidden_fields(page), "passenger_name": "Olivia Brown", "payout": "uk-account",
        "sort_code": "08-99-99", "account_number": "66374959",
        "account_holder": "Olivia Brown"})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_a_wrong_modulus_is_refused_with_a_clear_message_in_the_passenger_s_language(
        app: Flask, runner: FlaskCliRunner) -> None:
    _operator(app, runner, "GB33BUKB20201555555555")
    load(app, [_gbp_booking("POUND1")], [arrival()])
    english = _refused(app, "en")
    assert "This sort code and account number do not belong together." in english
    assert 'value="66374959"' in english and 'value="08-99-99"' in english  # kept
    german = _refused(app, "de")
    assert "Bankleitzahl (Sort Code) und Kontonummer passen nicht zusammen." in german


def test_a_gbp_claim_paid_to_a_uk_account_is_in_the_standard_18_file(
        app: Flask, runner: FlaskCliRunner) -> None:
    _operator(app, runner, "GB33BUKB20201555555555")
    load(app, [_gbp_booking("POUND1")], [arrival()])
    file_claim(app, "POUND1", "Brown", payout="uk-account", sort_code="08-99-99",
               account_number="66374958", account_holder="Olivia Brown")
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim = session.scalar(select(Claim))
        assert claim is not None and claim.status == "approved", claim and claim.reason_codes
        assert (claim.payout_sort_code, claim.payout_account_number) == ("089999", "66374958")
        amount = claim.amount
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    text = (Path(app.instance_path) / "payouts" / "test-rail-run-000001.txt").read_text()
    [line] = text.splitlines()
    assert len(line) == 100
    assert line[0:14] == "089999" "66374958"
    assert line[15:17] == "99"
    assert line[17:31] == "202015" "55555555"  # the operator's account, from its GB IBAN
    assert line[35:46] == f"{int(amount * 100):011d}"
    assert line[64:82] == "EFF-CLAIM-1".ljust(18)
    assert line[82:100] == "OLIVIA BROWN".ljust(18)
    with factory() as session:
        payout = session.scalar(select(Payout))
        assert payout is not None and payout.account_number == "66374958"
        times = session.scalars(select(MoneyTimeDay)).all()
    assert [(t.path, t.measure, t.payouts) for t in times] == [("touchless", "file", 1)]

    # The manager's report: time to money per operator and path.
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    client = app.test_client()
    sign_in(client, "boss@example.org", "a-long-password")
    response = client.get("/reports/")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    table = page[page.index('id="time-to-money"'):]
    table = table[:table.index("</table>")]
    [seconds] = [t.seconds for t in times]
    hours = f"{seconds / 3600:.1f}"
    assert re.search(rf"<th>Test Rail</th><td>filed, decided by the rules</td><td>1</td>"
                     rf"<td>{hours}</td><td>{hours}</td>", table), table
