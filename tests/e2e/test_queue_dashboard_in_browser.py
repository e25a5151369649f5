"""A manager opens the queue dashboard (rq-dashboard at /admin/rq/) in Chromium: its
pages build their tables with scripts, which the portal's Content-Security-Policy must
let run there (and only there); the live worker is listed."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, expect

from claims.operators import accounts

PASSWORD = "a-manager-password-2026"


def test_the_queue_dashboard_shows_the_running_worker(
        app: Flask, live_portal: str, browser: Browser, artifacts: Path) -> None:
    accounts.create_user(app.extensions["effortless"].session_factory, "boss@example.org",
                         "manager", PASSWORD)
    context = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    blocked: list[str] = []

    def _note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in \
                message.text:
            blocked.append(message.text)

    page.on("console", _note)
    page.goto(live_portal + "/clerk/login")
    page.get_by_label("E-mail").fill("boss@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    page.goto(live_portal + "/admin/rq/")
    page.get_by_role("link", name="Workers").click()
    # The row the dashboard's script renders for the worker beside the portal (its
    # "Loading..." placeholder is all a blocked script leaves).
    worker = page.locator("table#workers tr[data-role=worker]")
    expect(worker.first).to_be_visible(timeout=15_000)
    expect(worker.first).to_contain_text("claims")
    page.screenshot(path=str(artifacts / "queue-dashboard-workers.png"), full_page=True)
    assert not blocked, blocked
    # The dashboard's policy is its own: every other page keeps the strict one.
    policy = page.request.get(live_portal + "/clerk/").headers["content-security-policy"]
    assert "unsafe" not in policy
    context.close()
