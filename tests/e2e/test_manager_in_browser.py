"""A manager reads the effort report on the demo data in Chromium: filters it, downloads
the CSV and the PDF, and asks what another auto-approve limit would change."""

from __future__ import annotations

import re
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from claims.db.models import Claim


def test_a_manager_reads_filters_exports_and_what_ifs_the_demo_report(
        app: Flask, runner: FlaskCliRunner, live_portal: str, browser: Browser,
        artifacts: Path) -> None:
    assert runner.invoke(args=["demo", "seed", "--bookings", "400"]).exit_code == 0
    with app.extensions["effortless"].session_factory() as session:
        claims = session.scalar(select(func.count()).select_from(Claim))
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(live_portal + "/clerk/login")
    page.get_by_label("E-mail").fill("manager@demo.example")
    page.get_by_label("Password").fill("demo-manager-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Effort report")).to_be_visible()
    # The live worker's sweeper and the page both bring the records up to date.
    deadline = time.monotonic() + 20
    while page.locator("#claims").inner_text() != str(claims):
        assert time.monotonic() < deadline, page.locator("#claims").inner_text()
        page.reload()
    expect(page.locator("#straight-through")).to_have_text(re.compile(r"\d+\.\d %"))
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.locator("figure.chart figcaption").first).not_to_be_empty()
    expect(page.locator("#cost-model")).to_contain_text("a clerk hour 42.00 EUR")
    page.screenshot(path=str(artifacts / "manager-report.png"), full_page=True)

    page.get_by_label("Regime").select_option("eu-air")
    page.get_by_role("button", name="Show").click()
    air = int(page.locator("#claims").inner_text())
    assert 0 < air < claims

    with page.expect_download() as download:
        page.locator("#csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("claim_id,") and len(lines) == air + 1
    pdf = page.request.get(live_portal + (page.locator("#pdf").get_attribute("href") or ""))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    page.locator("#what-if").click()
    page.get_by_label("passenger's statement").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_be_visible()
    expect(page.locator("#moved")).to_contain_text("would go straight through")
    expect(page.locator("#why")).to_contain_text("decided by the rules alone")
    page.screenshot(path=str(artifacts / "manager-what-if.png"), full_page=True)
    context.close()
