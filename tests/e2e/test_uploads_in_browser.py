"""A clerk sees the passenger's uploaded ticket beside the journey in Chromium, under the
portal's Content-Security-Policy: the photo drawn in the page, the PDF in its frame, and
no policy refusing either."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, expect
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from claims.operators import accounts
from tests.helpers import create_operator, csrf_token
from tests.records import DAY

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _png(width: int, height: int) -> bytes:
    """A grey picture of the given size: a real PNG the browser decodes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _file(app: Flask, name: str, ticket: bytes) -> None:
    client = app.test_client()
    fields: dict[str, Any] = {
        "csrf_token": csrf_token(client.get("/manual").get_data(as_text=True)),
        "operator": "test-rail", "service": "RE 4711", "origin": "Köln Hbf",
        "destination": "Bonn Hbf", "travel_date": DAY, "scheduled_arrival": "13:42",
        "price": "12.40", "passenger_name": "Jana Nowak", "passenger_email": "jana@example.org",
        "payout": "voucher", "ticket": FileStorage(stream=io.BytesIO(ticket), filename=name)}
    boundary, body = encode_multipart(fields)
    with client.post("/manual", data=body,
                     content_type=f"multipart/form-data; boundary={boundary}") as response:
        assert response.status_code == 302, response.get_data(as_text=True)


def test_the_clerk_sees_the_uploaded_tickets_beside_the_journey(
        app: Flask, live_portal: str, browser: Browser, artifacts: Path) -> None:
    create_operator(app)
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", "a-long-password")
    _file(app, "ticket.png", _png(240, 120))
    _file(app, "ticket.pdf", PDF)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused" in message.text:
            refused.append(message.text)

    page.on("console", note)
    page.goto(live_portal + "/clerk/login")
    page.get_by_label("E-mail").fill("clerk@example.org")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_portal + "/clerk/claims/1")
    photo = page.get_by_role("img", name="The ticket the passenger uploaded")
    expect(photo).to_be_visible()
    assert page.evaluate("document.querySelector('img.document-preview').naturalWidth") == 240
    expect(page.get_by_role("link", name="Open the ticket the passenger uploaded")).to_be_visible()
    page.screenshot(path=str(artifacts / "clerk-upload-image.png"), full_page=True)

    page.goto(live_portal + "/clerk/claims/2")
    frame = page.locator("iframe.document-preview")
    expect(frame).to_be_visible()
    assert re.fullmatch(r"/clerk/claims/2/documents/\d+", frame.get_attribute("src") or "")
    page.screenshot(path=str(artifacts / "clerk-upload-pdf.png"), full_page=True)
    assert refused == []
    page.close()
