"""Every staff page as its user meets it (issue 16): a manager (who sees the clerk's pages
too) at 1440 px and on a 375 px phone, in English and German. axe-core finds no serious
or critical violation on any of them, and each is kept as a screenshot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from claims.db.models import Claim
from tests.e2e.test_clerk_in_browser import _seed

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}


def _pages(app: Flask) -> dict[str, str]:
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(Claim.id).where(
            Claim.status == "needs_review").order_by(Claim.id)).first()
        # One the rules found nothing owed for: its form starts with the rejection.
        not_owed = session.scalars(select(Claim.id).where(
            Claim.status == "needs_review", Claim.eligible.is_(False),
            Claim.delay_minutes.is_not(None)).order_by(Claim.id)).first()
    return {"queue": "/clerk/", "claim": f"/clerk/claims/{claim_id}",
            **({"claim-not-owed": f"/clerk/claims/{not_owed}"} if not_owed else {}),
            "second-approvals": "/clerk/second-approvals",
            "cohorts": "/clerk/cohorts", "report": "/reports/",
            "what-if": "/reports/what-if?off=passenger-statement&limit=100",
            "audit": "/reports/audit", "login": "/clerk/login"}


def _check(page: Page, name: str, artifacts: Path) -> None:
    page.wait_for_load_state("load")
    results = Axe().run(page)
    grave = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
             if v["impact"] in ("serious", "critical")]
    assert grave == [], f"{name}: {grave}"
    page.screenshot(path=str(artifacts / f"staff-{name}.png"), full_page=True)


@pytest.mark.parametrize(("locale", "viewport", "size"), [
    ("en-GB", WIDE, "1440"), ("de-DE", PHONE, "375")])
def test_every_staff_page_is_accessible_wide_and_on_a_phone(
        app: Flask, runner: FlaskCliRunner, live_portal: str, browser: Browser,
        artifacts: Path, locale: str, viewport: dict[str, int], size: str) -> None:
    _seed(app, runner)
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    german = locale.startswith("de")
    page.goto(live_portal + "/clerk/login")
    _check(page, f"login-{size}", artifacts)
    page.get_by_label("E-Mail" if german else "E-mail").fill("manager@demo.example")
    page.get_by_label("Passwort" if german else "Password").fill("demo-manager-2026")
    page.get_by_role("button", name="Anmelden" if german else "Sign in").click()
    expect(page.locator("h1")).to_be_visible()
    for name, path in _pages(app).items():
        if name == "login":
            continue
        page.goto(live_portal + path)
        if name == "report":  # the worker's sweeper builds the effort records
            for _ in range(100):
                if page.locator("#claims").inner_text() != "0":
                    break
                page.wait_for_timeout(200)
                page.reload()
        expect(page.locator("h1")).to_be_visible()
        _check(page, f"{name}-{size}", artifacts)
        if name in FITS:
            _fits(page, viewport)
    # A cohort of the storm train, with the operator's name and the cause the data report.
    page.goto(live_portal + "/clerk/cohorts")
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_contain_text(re.compile("Demo"))
    _check(page, f"cohort-{size}", artifacts)
    _fits(page, viewport)
    context.close()


# Pages whose wide tables scroll inside their frame, never the page sideways.
FITS = {"claim-not-owed", "second-approvals"}


def _fits(page: Page, viewport: dict[str, int]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
