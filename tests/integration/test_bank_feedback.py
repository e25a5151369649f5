"""The bank's feedback on our transfers (pain.002, camt.054): a returned or refused
transfer no longer counts as paid, the passenger is told why in words and gives another
account, the next run pays them there; an accepted one is confirmed. Imported by the CLI,
from a folder, or through the API by the operator whose transfers they are."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from claims.db.models import Claim, ClaimEvent, Payout
from claims.operators import accounts
from tests.helpers import (
    create_operator,
    csrf_token,
    file_claim,
    load,
    mail_bodies,
    mails,
    run_worker,
    sign_in,
    status_links_in,
)
from tests.records import arrival, rail_booking
from tests.unit.test_bank_files import BILLION_LAUGHS, EXTERNAL_ENTITY
from tools.bank_files import Entry, debit_credit_notification, payment_status_report

RETURNED = "Your delay compensation came back: we need another account"
ON_FILE = "DE02120300000000202051"  # the booking's account (tests.records)
NEW_IBAN = "DE44 5001 0517 5407 3249 31"


@pytest.fixture
def paid_claim(app: Flask, runner: FlaskCliRunner) -> dict[str, Any]:
    """Anna Koch's compensation paid to the account on file: claim 1, EFF-CLAIM-1."""
    key = create_operator(app)
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                        "Test Rail", "--payout-account-iban", "DE89370400440532013000"])
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch",
                                                 "email": "anna@example.org"})], [arrival()])
    file_claim(app, "AAAA01", "Koch")
    run_worker(app)
    paid = runner.invoke(args=["payouts", "run"])
    assert paid.exit_code == 0, paid.output
    run_worker(app)
    return {"key": key, "factory": app.extensions["effortless"].session_factory}


def _claim_and_payouts(factory: Any) -> tuple[Claim, list[Payout]]:
    with factory() as session:
        claim = session.scalars(select(Claim)).one()
        payouts = list(session.scalars(select(Payout).order_by(Payout.part)))
        session.expunge_all()
    return claim, payouts


def _events(factory: Any) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(ClaimEvent)) or 0


def _import(runner: FlaskCliRunner, tmp_path: Path, name: str, data: bytes) -> Any:
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["payouts", "feedback", str(path)])


def test_a_refused_transfer_asks_the_passenger_for_another_account_and_pays_there(
        app: Flask, runner: FlaskCliRunner, paid_claim: dict[str, Any], tmp_path: Path,
) -> None:
    factory = paid_claim["factory"]
    amount = _claim_and_payouts(factory)[0].amount
    refused = payment_status_report([("EFF-CLAIM-1", "RJCT", "AC04")])
    result = _import(runner, tmp_path, "status.xml", refused)
    assert result.exit_code == 0, result.output
    assert "1 returned" in result.output
    claim, [payout] = _claim_and_payouts(factory)
    assert claim.status == "payout_failed"
    assert payout.returned_at is not None and payout.return_code == "AC04"

    # The same file again changes nothing.
    events = _events(factory)
    again = _import(runner, tmp_path, "status-again.xml", refused)
    assert "0 confirmed, 0 returned, 1 unchanged" in again.output
    assert _events(factory) == events

    run_worker(app)
    assert mails(app)[-1] == ("anna@example.org", RETURNED)
    body = mail_bodies(app)[-1]
    assert "the account is closed" in body and "AC04" not in body
    [link] = status_links_in(body)

    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    assert "The reason the bank gave: the account is closed." in page
    assert 'id="paid-on"' not in page  # not paid while the money is back with us
    assert "AC04" not in page and 'name="account_holder"' not in page  # one field
    typed = client.post(link + "/account", data={"csrf_token": csrf_token(page),
                                                 "iban": "DE00 1234 5678"})
    assert typed.status_code == 422
    answer = typed.get_data(as_text=True)
    assert "This is not a valid IBAN" in answer and 'value="DE00 1234 5678"' in answer
    same = client.post(link + "/account", data={"csrf_token": csrf_token(answer),
                                                "iban": ON_FILE})
    assert same.status_code == 422
    assert "sent the money back from this account" in same.get_data(as_text=True)
    given = client.post(link + "/account", data={"csrf_token": csrf_token(answer),
                                                 "iban": NEW_IBAN})
    assert given.status_code == 302
    # Approved again, to be paid: the payment the bank sent back is no "Paid on".
    waiting = client.get(link).get_data(as_text=True)
    assert 'id="paid-on"' not in waiting and "in the next payout run" in waiting
    claim, _payouts = _claim_and_payouts(factory)
    assert (claim.status, claim.payout_method, claim.payout_holder) == (
        "approved", "iban", "Anna Koch")

    second = runner.invoke(args=["payouts", "run"])
    assert second.exit_code == 0, second.output
    claim, payouts = _claim_and_payouts(factory)
    assert claim.status == "paid"
    assert [(p.part, p.amount, p.iban, p.returned_at is None) for p in payouts] == [
        (0, amount, ON_FILE, False), (1, amount, "DE44500105175407324931", True)]
    sepa = (Path(app.instance_path) / "payouts" / "test-rail-run-000002.xml").read_text()
    assert "<EndToEndId>EFF-CLAIM-1-1</EndToEndId>" in sepa
    assert "DE44500105175407324931" in sepa
    assert "nothing to pay" in runner.invoke(args=["payouts", "run"]).output
    # Told where the money went this time; the page says so too.
    run_worker(app)
    assert mails(app)[-1] == ("anna@example.org", "Your delay compensation is on its way")
    assert "your account ending in 4931" in mail_bodies(app)[-1]
    assert "4931" in client.get(link).get_data(as_text=True)


def test_a_german_passenger_reads_the_reason_in_german(
        app: Flask, runner: FlaskCliRunner, paid_claim: dict[str, Any], tmp_path: Path,
) -> None:
    factory = paid_claim["factory"]
    with factory.begin() as session:
        session.scalars(select(Claim)).one().language = "de"
    _import(runner, tmp_path, "status.xml", payment_status_report(
        [("EFF-CLAIM-1", "RJCT", "MD07")]))
    run_worker(app)
    assert "Ihre Bank hat die Entschädigung zurückgeschickt" in mail_bodies(app)[-1]
    assert "der Kontoinhaber ist verstorben" in mail_bodies(app)[-1]
    [link] = status_links_in(mail_bodies(app)[-1])
    page = app.test_client().get(link, headers={"Accept-Language": "de"}).get_data(
        as_text=True)
    assert "Der Grund, den die Bank angab: der Kontoinhaber ist verstorben." in page
    assert "IBAN eines anderen Kontos auf Ihren Namen" in page


def test_a_return_in_a_notification_through_the_api_shows_to_the_clerk(
        app: Flask, paid_claim: dict[str, Any]) -> None:
    factory = paid_claim["factory"]
    amount = _claim_and_payouts(factory)[0].amount or Decimal(0)
    notification = debit_credit_notification([
        Entry("EFF-CLAIM-1", amount), Entry("EFF-CLAIM-1", amount, side="CRDT", reason="AC01")])
    client = app.test_client()
    answer = client.post("/api/v1/bank-feedback", data=notification,
                         headers={"Authorization": f"Bearer {paid_claim['key']}",
                                  "Content-Type": "application/xml"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"confirmed": 0, "returned": 1, "unchanged": 0,
                                 "problems": []}
    claim, [payout] = _claim_and_payouts(factory)
    assert claim.status == "payout_failed" and payout.return_code == "AC01"
    run_worker(app)
    assert mails(app)[-1] == ("anna@example.org", RETURNED)

    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", "a-long-password")
    queue = clerk.get("/clerk/").get_data(as_text=True)
    assert "Payments returned by the bank" in queue
    assert "the account number (IBAN) is not correct" in queue and "AC01" not in queue
    claim_file = clerk.get("/clerk/claims/1").get_data(as_text=True)
    assert "payment returned by the bank" in claim_file
    assert "the account number (IBAN) is not correct" in claim_file


def test_an_accepted_transfer_is_confirmed_once(
        app: Flask, runner: FlaskCliRunner, paid_claim: dict[str, Any], tmp_path: Path,
) -> None:
    factory = paid_claim["factory"]
    accepted = payment_status_report([("EFF-CLAIM-1", "ACSC", None)])
    assert "1 confirmed" in _import(runner, tmp_path, "a.xml", accepted).output
    claim, [payout] = _claim_and_payouts(factory)
    assert claim.status == "paid" and payout.confirmed_at is not None
    events = _events(factory)
    assert "1 unchanged" in _import(runner, tmp_path, "b.xml", accepted).output
    assert _events(factory) == events
    assert _claim_and_payouts(factory)[1][0].confirmed_at == payout.confirmed_at


def test_an_unknown_transfer_is_reported_and_the_rest_applied(
        runner: FlaskCliRunner, paid_claim: dict[str, Any], tmp_path: Path) -> None:
    result = _import(runner, tmp_path, "mixed.xml", payment_status_report([
        ("EFF-CLAIM-999", "RJCT", "AC04"), ("SOMEONE-ELSES", "ACSC", None),
        ("EFF-CLAIM-1", "ACSC", None)]))
    assert result.exit_code == 1
    assert "line 6: no transfer of ours has the end-to-end id 'EFF-CLAIM-999'" in result.output
    assert "'SOMEONE-ELSES'" in result.output
    assert "1 confirmed, 0 returned, 0 unchanged, 2 not ours" in result.output
    assert _claim_and_payouts(paid_claim["factory"])[1][0].confirmed_at is not None


def test_an_operator_touches_only_its_own_transfers(
        app: Flask, paid_claim: dict[str, Any]) -> None:
    other = create_operator(app, "other-rail")
    answer = app.test_client().post(
        "/api/v1/bank-feedback", data=payment_status_report([("EFF-CLAIM-1", "RJCT", "AC04")]),
        headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 422
    assert answer.get_json()["problems"] == [{
        "line": 6, "problem": "no transfer of this operator has the end-to-end id "
                              "'EFF-CLAIM-1'"}]
    claim, [payout] = _claim_and_payouts(paid_claim["factory"])
    assert claim.status == "paid" and payout.returned_at is None


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<not-closed",
                                  b'{"json": "instead"}'])
def test_a_malicious_or_malformed_file_is_refused_with_422(
        app: Flask, paid_claim: dict[str, Any], body: bytes) -> None:
    events = _events(paid_claim["factory"])
    answer = app.test_client().post("/api/v1/bank-feedback", data=body, headers={
        "Authorization": f"Bearer {paid_claim['key']}"})
    assert answer.status_code == 422
    assert answer.get_json()["message"].startswith("Not a bank file we can read")
    assert "root:" not in answer.get_data(as_text=True)
    assert _events(paid_claim["factory"]) == events


def test_the_api_wants_a_key_and_a_body(app: Flask, paid_claim: dict[str, Any]) -> None:
    client = app.test_client()
    assert client.post("/api/v1/bank-feedback", data=b"<x/>").status_code == 401
    assert client.post("/api/v1/bank-feedback", data=b"", headers={
        "Authorization": f"Bearer {paid_claim['key']}"}).status_code == 400


def test_a_folder_is_imported_once_each_file_moved_aside(
        app: Flask, runner: FlaskCliRunner, paid_claim: dict[str, Any], tmp_path: Path,
) -> None:
    folder = tmp_path / "bank-feedback"
    folder.mkdir()
    (folder / "1-status.xml").write_bytes(payment_status_report([("EFF-CLAIM-1", "ACSC",
                                                                   None)]))
    (folder / "2-garbage.xml").write_bytes(b"garbage")
    result = runner.invoke(args=["payouts", "feedback", "--folder", str(folder)])
    assert result.exit_code == 1
    assert "1-status.xml: 1 confirmed" in result.output
    assert "2-garbage.xml: refused, nothing applied: not well-formed XML" in result.output
    assert sorted(p.name for p in folder.rglob("*.xml")) == ["1-status.xml", "2-garbage.xml"]
    assert (folder / "done" / "1-status.xml").exists()
    assert (folder / "refused" / "2-garbage.xml").exists()
    again = runner.invoke(args=["payouts", "feedback", "--folder", str(folder)])
    assert again.exit_code == 0 and "no bank files" in again.output
