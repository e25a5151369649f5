"""A clerk clears the demo data's queue of edge cases in Chromium: a cohort decision for the
storm train, then claim after claim from "take the next claim", approving, rejecting and
once asking the passenger for information, which the passenger answers in their browser."""

from __future__ import annotations

import re
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from claims.db.models import Claim
from tests.helpers import status_path


def _seed(app: Flask, runner: FlaskCliRunner) -> None:
    """The demo seed; the live worker's sweeper may assess some of its claims at the same
    time, so wait until none is left undecided."""
    seeded = runner.invoke(args=["demo", "seed", "--bookings", "400"])
    assert seeded.exit_code == 0, seeded.output
    deadline = time.monotonic() + 30
    with app.extensions["effortless"].session_factory() as session:
        while session.scalar(select(func.count()).select_from(Claim).where(
                Claim.status.in_(["submitted", "assessing"]))):
            assert time.monotonic() < deadline, "the seeded claims were never all decided"
            time.sleep(0.1)
            session.rollback()


def _open_claims(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(Claim).where(
            Claim.status.in_(["needs_review", "info_requested"]))) or 0


def _sign_in(page: Page, url: str) -> None:
    page.goto(url + "/clerk/login")
    page.get_by_label("E-mail").fill("clerk@demo.example")
    page.get_by_label("Password").fill("demo-clerk-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Claims to review"))).to_be_visible()


def test_a_clerk_clears_the_demo_queue(app: Flask, runner: FlaskCliRunner, live_portal: str,
                                       browser: Browser, artifacts: Path) -> None:
    _seed(app, runner)
    waiting = _open_claims(app)
    assert waiting >= 15
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_portal)
    page.screenshot(path=str(artifacts / "clerk-queue.png"), full_page=True)

    # The storm train: every passenger's words beside their claim, none chosen for them;
    # the clerk reads them, confirms the strike they report and ticks each claim.
    page.get_by_role("link", name=re.compile("Decide a whole service")).click()
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", name="12 passengers say otherwise")).to_be_visible()
    boxes = page.locator('input[name="chosen"]')
    assert boxes.count() == 12 and not any(box.is_checked() for box in boxes.all())
    for box in boxes.all():
        box.check()
    page.get_by_label("Confirmed cause of the disruption").select_option("own-staff-strike")
    page.get_by_role("button", name="Decide the ticked claims").click()
    expect(page.locator(".notice")).to_contain_text("12 claims decided")
    assert _open_claims(app) == waiting - 12

    passenger = browser.new_context(locale="de-DE").new_page()
    asked = False
    decisions, clicks, seconds = 0, 0, 0.0
    page.get_by_role("button", name="Take the next claim").click()
    clicks += 1
    while "Nothing left to take" not in page.content():
        started = time.monotonic()
        claim_id = int(page.url.rsplit("/", 1)[1])
        amount = page.get_by_label("Amount", exact=True).input_value()
        if not asked:
            page.locator("summary", has_text="Ask for information").click()
            page.get_by_label("A short statement of what happened").check()
            page.get_by_role("button", name="Ask the passenger").click()
            clicks += 3
            asked = True
            page.screenshot(path=str(artifacts / "clerk-claim.png"), full_page=True)
            # The passenger answers on their status page, in German.
            passenger.goto(live_portal + status_path(app, claim_id))
            passenger.get_by_label("Was ist passiert?").fill("Der Zug stand 2 Stunden.")
            passenger.get_by_role("button", name="Senden").click()
            expect(passenger.locator("#status")).to_contain_text("prüft")
        elif amount:
            why = page.get_by_label(re.compile("Why this amount"))
            if why.count():  # a suggested amount: the clerk says why it stands
                why.fill("Delay confirmed by the passenger's statement")
                clicks += 1
            page.get_by_role("button", name="Approve").click()
            clicks += 1
        else:
            # The standard explanation for the reason: three clicks, nothing typed; where
            # the rules found the claim not eligible, the rejection is the open form.
            folded = page.locator("summary", has_text="Reject")
            if folded.count():
                folded.click()
                clicks += 1
            page.get_by_label("No evidence of the journey").check()
            page.get_by_role("button", name="Reject").click()
            clicks += 2
        expect(page.locator(".notice")).to_contain_text(f"Claim {claim_id}: done.")
        decisions += 1
        seconds += time.monotonic() - started

    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    assert _open_claims(app) == 0
    print(f"clerk: {decisions} claims one by one in {seconds:.1f} s, {clicks} clicks: "
          f"{seconds / decisions:.2f} s and {clicks / decisions:.2f} clicks per decision; "
          f"12 claims in one cohort decision")
    context.close()


def test_keyboard_shortcuts_decide_a_claim(app: Flask, runner: FlaskCliRunner,
                                           live_portal: str, browser: Browser) -> None:
    _seed(app, runner)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_portal)
    page.wait_for_load_state("load")  # the shortcuts script has run
    page.keyboard.press("n")  # take the next claim
    expect(page).to_have_url(re.compile(r"/clerk/claims/\d+$"))
    page.wait_for_load_state("load")
    claim_id = int(page.url.rsplit("/", 1)[1])
    anyway = page.locator("summary", has_text="Approve anyway")
    if anyway.count():  # found not eligible: approving is folded away
        anyway.click()
    page.get_by_label("Amount", exact=True).fill("12.50")
    change = page.locator("summary", has_text="Change the amount")
    if change.count():  # an amount from the rules: the reason box opens on request
        change.click()
    page.get_by_label(re.compile("Reason for changing the amount|Why this amount")).fill(
        "Goodwill: a second delay")
    page.locator("h1").click()  # out of the field: keys in a field are typing
    page.keyboard.press("a")
    expect(page.locator(".notice")).to_contain_text(f"Claim {claim_id}: done.")
    with app.extensions["effortless"].session_factory() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None and (claim.status, str(claim.amount)) == ("approved", "12.50")
    context.close()
