"""A passenger walks the thin path in Chromium: lookup, confirm, and the decision."""

from __future__ import annotations

import re
import time
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.helpers import create_operator, load
from tests.records import DAY, arrival, rail_booking


def test_a_passenger_files_a_clear_claim_and_sees_it_approved(
        app: Flask, live_portal: str, browser: Browser, artifacts: Path) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Erika Müller",
                                                 "email": "erika@example.org"})],
         [arrival(service="ICE 597", stop="Mannheim Hbf", actual=f"{DAY}T10:53:00+01:00"),
          arrival()])
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(live_portal + "/")
    started = time.monotonic()

    page.get_by_label("Booking reference").fill("q7k2lm")
    page.get_by_label("Surname").fill("mueller")
    page.get_by_role("button", name="Find my booking").click()

    expect(page.locator("#delay")).to_contain_text("74 minutes late")
    expect(page.locator("#preview")).to_contain_text("You are owed 19.75 EUR (25 %)")
    expect(page.get_by_label("Your name")).to_have_value("Erika Müller")
    page.screenshot(path=str(artifacts / "claim-375.png"), full_page=True)
    page.get_by_role("button", name="Submit my claim").click()

    expect(page.locator("#status")).to_contain_text(re.compile(
        r"Approved: we pay you 19\.75 EUR\.|"
        r"Approved and paid: 19\.75 EUR\."), timeout=15_000)
    decided_after = time.monotonic() - started
    expect(page.locator("#explanation")).to_contain_text("Arrived 74 minutes late")
    page.screenshot(path=str(artifacts / "status-375.png"), full_page=True)
    print(f"clear claim: 2 typed fields, 2 clicks, decided {decided_after:.1f} s after start")
    assert decided_after < 15
    context.close()


def test_the_pages_work_without_javascript(app: Flask, live_portal: str,
                                            browser: Browser) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM")], [arrival()])
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    page.goto(live_portal + "/")
    page.get_by_label("Buchungsnummer").fill("Q7K2LM")
    page.get_by_label("Nachname").fill("Mustermann")
    page.get_by_role("button", name="Buchung finden").click()
    expect(page.get_by_label("Ihr Name")).to_have_value("Erika Mustermann")
    page.get_by_role("button", name="Antrag einreichen").click()
    # Without JavaScript the status page refreshes itself until the decision is in.
    expect(page.locator("#explanation")).to_contain_text("Minuten verspätet", timeout=15_000)
    context.close()
