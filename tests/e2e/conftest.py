"""A real portal for the browser: gunicorn and an RQ worker as subprocesses on the test's
database and Redis, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from claims.db import migrate  # noqa: F401  (the schema exists before the servers start)
from tests.helpers import free_port, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def live_portal(settings_overrides: dict[str, Any]) -> Iterator[str]:
    environment = {**os.environ, **{k: str(v) for k, v in settings_overrides.items()}}
    port = free_port()
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                            "--workers", "1", "--threads", "4", "--no-control-socket",
                            "wsgi:app"], env=environment)
    worker = subprocess.Popen([sys.executable, "-m", "workflows.worker", "--sweep-every", "1"],
                              env=environment)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/", web)
        yield url
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
