"""Passengers in Chromium, on a phone-sized screen: a clear rail claim (in German) and a
clear air claim with exactly two typed fields, a missed connection, and a claim without a
booking. Every passenger page is checked with axe-core (no serious or critical violations),
for sideways scrolling at 375 px, and screenshotted."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect

from tests.e2e.pages import PHONE, check
from tests.helpers import create_operator, load
from tests.records import rail_booking

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def demo(runner: FlaskCliRunner) -> None:
    seeded = runner.invoke(args=["demo", "seed", "--bookings", "200"])
    assert seeded.exit_code == 0, seeded.output


def _look_up(page: Page, url: str, reference: str, surname: str, *, german: bool) -> int:
    page.goto(url + "/")
    typed = 0
    page.get_by_label("Buchungsnummer" if german else "Booking reference").fill(reference)
    typed += 1
    page.get_by_label("Nachname" if german else "Surname").fill(surname)
    typed += 1
    page.get_by_role("button", name="Buchung finden" if german else "Find my booking").click()
    return typed


def test_a_clear_rail_claim_in_german_takes_two_typed_fields(
        demo: None, live_portal: str, browser: Browser, artifacts: Path) -> None:
    page = browser.new_context(locale="de-DE", viewport=PHONE).new_page()
    page.goto(live_portal + "/")
    check(page, "start-de", artifacts)
    started = time.monotonic()
    typed = _look_up(page, live_portal, "demo01", "MUSTERMANN", german=True)
    expect(page.locator("#preview")).to_contain_text("15,98 EUR")
    check(page, "claim-de", artifacts)
    page.get_by_role("button", name="Antrag einreichen").click()
    expect(page.locator("#status")).to_contain_text(re.compile(
        r"Genehmigt: Wir zahlen Ihnen 15,98 EUR\.|"
        r"Genehmigt und ausgezahlt: 15,98 EUR\."), timeout=15_000)
    seconds = time.monotonic() - started
    check(page, "status-de", artifacts)
    assert typed == 2
    print(f"clear rail claim: {typed} typed fields, 2 clicks, decided {seconds:.1f} s")


def test_a_clear_air_claim_takes_two_typed_fields(
        demo: None, live_portal: str, browser: Browser, artifacts: Path) -> None:
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    started = time.monotonic()
    typed = _look_up(page, live_portal, "DEMO06", "dupont", german=False)
    expect(page.locator("#preview")).to_contain_text("You are owed 250.00 EUR")
    page.get_by_role("button", name="Submit my claim").click()
    expect(page.locator("#status")).to_contain_text(re.compile(
        r"Approved: we pay you 250\.00 EUR\.|"
        r"Approved and paid: 250\.00 EUR\."), timeout=15_000)
    seconds = time.monotonic() - started
    expect(page.locator("#explanation")).to_contain_text("minutes")
    check(page, "status-air", artifacts)
    assert typed == 2
    print(f"clear air claim: {typed} typed fields, 2 clicks, decided {seconds:.1f} s")


def test_a_missed_connection_names_the_train_and_goes_to_a_clerk(
        demo: None, live_portal: str, browser: Browser, artifacts: Path) -> None:
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    _look_up(page, live_portal, "DEMO04", "Weber", german=False)
    expect(page.get_by_text(re.compile("You probably missed your connection"))).to_be_visible()
    # The details are open already: the passenger names the train they arrived with.
    page.get_by_label(re.compile("Did you arrive with another train")).fill("ICE 1001")
    check(page, "claim-missed-connection", artifacts)
    page.get_by_role("button", name="Submit my claim").click()
    expect(page.locator("#status")).to_contain_text("A member of staff is checking your claim",
                                                    timeout=15_000)


def test_a_claim_without_a_booking_uploads_the_ticket(
        demo: None, live_portal: str, browser: Browser, artifacts: Path,
        tmp_path: Path) -> None:
    ticket = tmp_path / "ticket.pdf"
    ticket.write_bytes(PDF)
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    page.goto(live_portal + "/")
    page.get_by_role("link", name=re.compile("No booking reference")).click()
    check(page, "manual", artifacts)
    page.get_by_label("Railway or airline").select_option(label="Demo Rail (EUR)")
    page.get_by_label("Train or flight").fill("RE 4711")
    page.get_by_label("From").fill("Köln Hbf")
    page.get_by_label("To", exact=True).fill("Bonn Hbf")
    page.get_by_label("Date of travel").fill("2026-11-18")
    page.get_by_label("Scheduled arrival").fill("13:42")
    page.get_by_label("Ticket price").fill("12.40")
    page.get_by_label(re.compile("Your ticket")).set_input_files(str(ticket))
    page.get_by_label("Your name").fill("Jana Nowak")
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("Account holder").fill("Jana Nowak")
    page.get_by_role("button", name="Submit my claim").click()
    expect(page.locator("#status")).to_contain_text("A member of staff is checking your claim",
                                                    timeout=15_000)
    check(page, "status-no-booking", artifacts)


def test_a_form_with_errors_is_accessible(demo: None, live_portal: str, browser: Browser,
                                          artifacts: Path) -> None:
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    page.goto(live_portal + "/")
    page.get_by_role("button", name="Find my booking").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check(page, "start-errors", artifacts)
    _look_up(page, live_portal, "NOPE99", "Nobody", german=False)
    expect(page.locator("#not-found")).to_be_visible()
    check(page, "start-not-found", artifacts)


def test_the_passenger_pages_on_a_wide_screen(demo: None, live_portal: str, browser: Browser,
                                              artifacts: Path) -> None:
    """The same pages at 1440 px, in German: accessible, and kept as screenshots."""
    page = browser.new_context(locale="de-DE", viewport={"width": 1440, "height": 900}
                               ).new_page()
    for name, path in (("start", "/"), ("manual", "/manual"), ("new-link", "/new-link")):
        page.goto(live_portal + path)
        _wide(page, name, artifacts)
    _look_up(page, live_portal, "DEMO03", "Schmidt", german=True)  # nothing due
    expect(page.locator("#disagree")).to_be_visible()
    _wide(page, "claim-nothing-due", artifacts)
    page.get_by_role("button", name="Antrag einreichen").click()
    expect(page.locator("#status")).to_contain_text("keine Entschädigung", timeout=15_000)
    _wide(page, "status-rejected", artifacts)


def _wide(page: Page, name: str, artifacts: Path) -> None:
    page.wait_for_load_state("load")
    results = Axe().run(page)
    grave = [(v["id"], v["impact"]) for v in results.response["violations"]
             if v["impact"] in ("serious", "critical")]
    assert grave == [], f"{name}: {grave}"
    page.screenshot(path=str(artifacts / f"passenger-{name}-1440.png"), full_page=True)


def test_a_reference_two_companies_use_asks_which_one(app: Flask, live_portal: str,
                                                      browser: Browser,
                                                      artifacts: Path) -> None:
    """Two operators' bookings under one reference, both for a Weber: the passenger
    chooses her company by name (radio buttons, no script needed), and sees her own
    booking, never the other Weber's."""
    for slug in ("alpha-rail", "beta-rail"):
        create_operator(app, slug)
    load(app, [rail_booking("SHARE01", operator=slug, passenger={
        "name": f"{first} Weber", "email": f"{first.lower()}@example.org"})
        for slug, first in (("alpha-rail", "Anna"), ("beta-rail", "Berta"))])
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    _look_up(page, live_portal, "share-01", "Weber", german=False)
    expect(page.get_by_role("group", name="Which company is your booking with?")).to_be_visible()
    assert "Anna" not in page.content() and "Berta" not in page.content()
    check(page, "start-which-company", artifacts)
    page.get_by_label("Beta Rail").check()
    page.get_by_role("button", name="Find my booking").click()
    expect(page.get_by_label("Your name")).to_have_value("Berta Weber")
    assert "Anna" not in page.content()
