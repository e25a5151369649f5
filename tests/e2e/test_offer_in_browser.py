"""A passenger who never filed anything: the operator's operations data show her train
late, the workers make her an offer, a real e-mail reaches the SMTP sink, and she opens
its link on her phone, in German, and accepts with one click."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from claims.db.models import Claim
from claims.operators import accounts
from claims.operators.imports import import_bookings
from tests.e2e.pages import PHONE, check
from tests.helpers import Sink, create_operator, status_links_in
from tests.records import arrival, rail_booking

OFFER_DE = "Ihre Reise war verspätet: eine Entschädigung für Sie, ohne Antrag"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any],
                       smtp_sink: tuple[Sink, int]) -> dict[str, Any]:
    """The live portal's workers send through the sink: a real mail server's part."""
    return {**settings_overrides, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_sink[1])}


def _wait_for(sink: Sink, subject: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if subject in sink.subjects():
            body = sink.about(subject).get_body(("plain",))
            assert body is not None
            return str(body.get_content())
        time.sleep(0.2)
    raise AssertionError(f"no {subject!r} within {seconds} s: {sink.subjects()}")


def test_an_offer_accepted_with_one_click_from_the_e_mail(
        app: Flask, live_portal: str, browser: Browser, artifacts: Path,
        smtp_sink: tuple[Sink, int]) -> None:
    sink, _port = smtp_sink
    factory = app.extensions["effortless"].session_factory
    key = create_operator(app)
    accounts.configure_operator(factory, "test-rail", proactive_mode="offer")
    report = import_bookings(factory, enumerate([rail_booking(passenger={
        "name": "Erika Mustermann", "email": "erika@example.org", "language": "de"})], 1))
    assert not report.rejected
    # The operator's system sends the day's operations records to the live portal.
    client = app.test_client()
    sent = client.post("/api/v1/operations", data=json.dumps(arrival()),
                       headers={"Authorization": f"Bearer {key}"})
    assert sent.status_code == 200

    body = _wait_for(sink, OFFER_DE)
    assert "19,75 EUR" in body and "Endung 2051" in body
    [path] = status_links_in(body)

    page = browser.new_context(locale="de-DE", viewport=PHONE).new_page()
    started = time.monotonic()
    page.goto(live_portal + path)
    expect(page.locator("#status")).to_contain_text("bietet Ihnen 19,75 EUR an")
    check(page, "offer-de", artifacts)
    page.get_by_role("button", name="19,75 EUR annehmen").click()
    expect(page.locator("#status")).to_contain_text("Wir werden Ihnen 19,75 EUR zahlen")
    expect(page.locator("#payout")).to_contain_text("2051")
    check(page, "offer-accepted-de", artifacts)
    print(f"offer accepted: 0 typed fields, 1 click, {time.monotonic() - started:.1f} s")
    with factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert (claim.status, claim.origin) == ("approved", "proactive")
    # The confirmation follows by e-mail.
    _wait_for(sink, "Ihr Antrag auf Verspätungsentschädigung: die Entscheidung")
