"""Web security seen from outside: redirects, headers, spreadsheets, limits behind a proxy
and without Redis (issue 14)."""

from __future__ import annotations

import io
import stat
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.db.models import ClaimEvent
from common.spreadsheets import SafeCsvWriter
from portal import create_app
from tests.helpers import create_operator, csrf_token, file_clear_claim, load, look_up
from tests.records import arrival, rail_booking


@pytest.mark.parametrize("target", [
    "/%09/evil.example/", "//evil.example/", "https://evil.example/", "/\\evil.example",
    "/%0aSet-Cookie:x=1", "javascript:alert(1)", "evil.example"])
def test_the_language_switch_redirects_only_to_paths_of_this_site(
        client: FlaskClient, target: str) -> None:
    response = client.get(f"/language/de?next={target}")
    assert response.status_code == 302
    assert response.location == "/"


def test_the_language_switch_returns_to_the_page_it_came_from(client: FlaskClient) -> None:
    assert client.get("/language/en?next=/manual").location == "/manual"


def test_every_page_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/manual", "/clerk/login", "/api/v1/openapi.json", "/no-such-page"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_a_cell_that_starts_like_a_formula_is_written_as_text() -> None:
    out = io.StringIO()
    SafeCsvWriter(out).writerow(['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@a",
                                 "Cleo Weber", "19.75"])
    assert out.getvalue().strip() == (
        '"\'=HYPERLINK(""http://evil.example"",""x"")",\'+1,\'-2,\'@a,Cleo Weber,19.75')


def _lookups(client: FlaskClient, forwarded_for: str | None, count: int) -> list[int]:
    if count > 1:
        _early_in_a_minute()
    token = csrf_token(client.get("/").get_data(as_text=True))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [client.post("/", data={"csrf_token": token, "reference": f"NONE{index:04d}",
                                   "surname": "Nobody"}, headers=headers).status_code
            for index in range(count)]


def _early_in_a_minute() -> None:
    """The limits count per minute of the clock (a fixed window): a run of look-ups that
    crossed into the next minute would start counting again, and a loaded machine once
    took the 22 requests of a test across it."""
    seconds = time.time() % 60
    if seconds > 45:
        time.sleep(60 - seconds)


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
        settings_overrides: dict[str, Any]) -> None:
    app = create_app({**settings_overrides, "RATELIMIT_ENABLED": "true",
                      "TRUSTED_PROXIES": "1"})
    try:
        client = app.test_client()
        assert _lookups(client, "203.0.113.7", 21)[-1] == 429
        assert _lookups(client, "203.0.113.8", 1) == [404]  # another passenger
    finally:
        app.extensions["effortless"].close()


def test_without_redis_the_limits_go_on_in_memory(
        settings_overrides: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    app: Flask = create_app({**settings_overrides, "RATELIMIT_ENABLED": "true",
                             "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        answers = _lookups(app.test_client(), None, 21)
        assert answers[:20] == [404] * 20 and answers[20] == 429
        assert any("in-memory" in record.getMessage() or "fall" in record.getMessage().lower()
                   for record in caplog.records), [r.getMessage() for r in caplog.records]
    finally:
        app.extensions["effortless"].close()


def test_anonymous_views_write_little_and_personal_files_are_private(app: Flask) -> None:
    """The status page refreshes itself and its link is public: at most one view event a
    minute, each PDF rendered once, every file with personal data readable by us only."""
    client, status_url = file_clear_claim(app)
    for _ in range(5):
        assert client.get(status_url).status_code == 200
    with app.extensions["effortless"].session_factory() as session:
        views = session.scalars(select(ClaimEvent.at).where(
            ClaimEvent.kind == "status_viewed")).all()
    # One a minute (two where the visits straddle a minute's end).
    assert len(views) == len({int(at.timestamp()) // 60 for at in views}) <= 2
    for suffix in ("/letter.pdf", "/form.pdf", "/letter.pdf", "/form.pdf"):
        assert client.get(status_url + suffix).status_code == 200
    instance = Path(app.instance_path)
    letters = sorted((instance / "letters").iterdir())
    assert len(letters) == 2  # the letter and the form, each rendered once
    for path in [*letters, *(instance / "outbox").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_method_a_route_does_not_take_answers_405_with_allow(client: FlaskClient) -> None:
    for path in ("/api/v1/bookings", "/"):
        response = client.delete(path)
        assert response.status_code == 405
        assert "POST" in response.headers["Allow"], path


def test_error_pages_speak_the_readers_language(client: FlaskClient) -> None:
    """werkzeug names its errors in English ("Not Found"): the pages say it in the
    reader's words, and keep the status and the headers the error carries."""
    german = {"Accept-Language": "de"}
    missing = client.get("/no-such-page", headers=german)
    page = missing.get_data(as_text=True)
    assert missing.status_code == 404
    assert "<h1>Seite nicht gefunden</h1>" in page
    assert "Unter dieser Adresse gibt es keine Seite." in page
    assert "Not Found" not in page and "requested URL" not in page
    refused = client.delete("/", headers=german)
    assert refused.status_code == 405 and "POST" in refused.headers["Allow"]
    assert "<h1>Hier nicht möglich</h1>" in refused.get_data(as_text=True)
    english = client.get("/no-such-page").get_data(as_text=True)
    assert "<h1>Page not found</h1>" in english and "There is no page at this address" in english


def test_the_limit_page_says_what_to_do_in_the_readers_language(
        settings_overrides: dict[str, Any]) -> None:
    app = create_app({**settings_overrides, "RATELIMIT_ENABLED": "true"})
    try:
        client = app.test_client()
        client.get("/language/de")
        assert _lookups(client, None, 21)[-1] == 429
        token = csrf_token(client.get("/").get_data(as_text=True))
        limited = client.post("/", data={"csrf_token": token, "reference": "NONE9999",
                                         "surname": "Nobody"})
        page = limited.get_data(as_text=True)
        assert limited.status_code == 429 and limited.headers.get("Retry-After")
        assert "<h1>Zu viele Versuche</h1>" in page
        assert "Bitte warten Sie eine Minute" in page and "per 1 minute" not in page
    finally:
        app.extensions["effortless"].close()


def test_the_passenger_downloads_everything_stored_about_the_claim(app: Flask) -> None:
    client, status_url = file_clear_claim(app, statement="Zug war voll")
    assert f'href="{status_url}/data.json"' in client.get(status_url).get_data(as_text=True)
    export = client.get(status_url + "/data.json")
    assert export.status_code == 200 and export.mimetype == "application/json"
    data = export.get_json()
    assert data["claim"]["name"] == "Hans Müller" and data["claim"]["statement"] == "Zug war voll"
    assert data["booking"]["reference"] == "Q7K2LM"
    assert data["booking"]["account_on_file"] == "DE02 **** **** **** 2051"
    assert "DE02120300000000202051" not in export.get_data(as_text=True)
    assert {"claim_submitted", "claim_decided"} <= {e["what"] for e in data["history"]}
    assert client.get("/status/not-a-token/data.json").status_code == 404


def test_cookies_are_signed_uncompressed_and_compressed_ones_still_load(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller"})], [arrival()])
    compressed: list[bytes] = []
    compress = zlib.compress

    def counted(data: bytes, /, *args: Any, **kwargs: Any) -> bytes:
        compressed.append(data)
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(zlib, "compress", counted)
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert look_up(client, "Q7K2LM", "Müller").status_code == 302  # the token is accepted
    assert 'name="passenger_name"' in client.get("/claim").get_data(as_text=True)
    # The session (a JSON object) is never compressed; the CSRF tokens are Flask-WTF's
    # own, tried and not kept compressed ("." marks a zlib payload).
    assert not [data for data in compressed if data.startswith(b"{")]
    assert not token.startswith(".")

    # A cookie as the release before wrote it: Flask's own serializer, compressed.
    monkeypatch.undo()
    earlier = SecureCookieSessionInterface().get_signing_serializer(app)
    assert earlier is not None
    compressed = earlier.dumps({"lang": "de", "padding": "x" * 200})
    assert compressed.startswith(".")
    client.set_cookie("session", compressed)
    assert 'lang="de"' in client.get("/").get_data(as_text=True)
