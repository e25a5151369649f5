"""What every passenger page in the browser tests is held to, for the test modules to
share: accessible (axe-core), fits a phone, targets big enough, on file as a screenshot."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

PHONE = {"width": 375, "height": 812}


def check(page: Page, name: str, artifacts: Path) -> None:
    """Accessible, fits a phone, and on file as a screenshot."""
    page.wait_for_load_state("load")
    results = Axe().run(page)
    grave = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
             if v["impact"] in ("serious", "critical")]
    assert grave == [], f"{name}: {grave}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{name} scrolls sideways at {PHONE['width']} px")
    # WCAG 2.2 target size: every control a thumb aims at is 24 px or more each way.
    small = page.evaluate("""() => [...document.querySelectorAll(
        'input[type=radio], input[type=checkbox], button, a.action, select')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 24 || r.height < 24)
        .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert small == [], f"{name}: targets under 24 px: {small}"
    page.screenshot(path=str(artifacts / f"passenger-{name}-375.png"), full_page=True)
