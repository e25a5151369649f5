"""Passengers hear of the decision and the payout by e-mail, in their language, once,
and only after the commit. A local SMTP server stands in for the mail server."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from portal import create_app
from tests.helpers import (
    Sink,
    create_operator,
    csrf_token,
    file_claim,
    load,
    look_up,
    run_worker,
)
from tests.records import arrival, rail_booking
from workflows import pipeline


@pytest.fixture
def mailing_app(settings_overrides: dict[str, Any],
                smtp_sink: tuple[Sink, int]) -> Iterator[Flask]:
    app = create_app({**settings_overrides, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": str(smtp_sink[1]), "PUBLIC_URL": "https://claims.example"})
    create_operator(app)
    app.test_cli_runner().invoke(args=[
        "operators", "configure", "test-rail", "--payout-account-name", "Test Rail",
        "--payout-account-iban", "DE89370400440532013000"])
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch",
                                                 "email": "anna@example.org"})], [arrival()])
    yield app
    app.extensions["effortless"].close()


def test_the_decision_and_the_payout_are_mailed_once(
        mailing_app: Flask, smtp_sink: tuple[Sink, int]) -> None:
    sink, _ = smtp_sink
    file_claim(mailing_app, "AAAA01", "Koch", payout="voucher")
    run_worker(mailing_app)
    assert sorted(sink.subjects()) == ["Your delay compensation claim is in",
                                       "Your delay compensation claim: the decision"]
    receipt = sink.about("Your delay compensation claim is in").get_content()
    assert "we have your claim AAAA01 to Test Rail" in receipt
    assert "https://claims.example/status/" in receipt
    decision = sink.about("Your delay compensation claim: the decision")
    assert decision["To"] == "anna@example.org"
    body = decision.get_content()
    assert "Test Rail has approved your claim AAAA01: we pay you 19.75 EUR." in body
    assert "https://claims.example/status/" in body

    result = mailing_app.test_cli_runner().invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    run_worker(mailing_app)
    assert len(sink.messages) == 3
    assert "Your travel voucher for 19.75 EUR: EFF-" in sink.messages[2].get_content()

    runtime = mailing_app.extensions["effortless"]
    pipeline.sweep(runtime.session_factory, runtime.redis)
    run_worker(mailing_app)
    assert len(sink.messages) == 3  # nothing is sent twice


def test_a_german_passenger_gets_german_mail(mailing_app: Flask,
                                             smtp_sink: tuple[Sink, int]) -> None:
    sink, _ = smtp_sink
    client = mailing_app.test_client()
    client.get("/language/de")
    look_up(client, "AAAA01", "Koch")
    page = client.get("/claim").get_data(as_text=True)
    client.post("/claim", data={"csrf_token": csrf_token(page), "passenger_name": "Anna Koch",
                                "passenger_email": "anna@example.org"})
    run_worker(mailing_app)
    assert "Ihr Antrag auf Verspätungsentschädigung ist eingegangen" in sink.subjects()
    message = sink.about("Ihr Antrag auf Verspätungsentschädigung: die Entscheidung")
    assert "Test Rail hat Ihren Antrag AAAA01 genehmigt: Wir zahlen Ihnen 19,75 EUR." in (
        message.get_content())


def test_without_a_mail_server_notices_land_in_the_outbox(app: Flask,
                                                          runner: FlaskCliRunner) -> None:
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch",
                                                 "email": "anna@example.org"})], [arrival()])
    file_claim(app, "AAAA01", "Koch")
    run_worker(app)
    outbox = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(outbox) == 2
    assert any(b"Subject: Your delay compensation claim: the decision" in path.read_bytes()
               for path in outbox)
