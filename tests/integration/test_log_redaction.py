"""A status link's or an invitation's token never reaches a log line (issue 43): a real
gunicorn, started as `make run` and the Procfile start it (gunicorn.conf.py read from the
project's root), its access log, its error log and the portal's own 500 line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from claims.db.models import Claim
from claims.processing.proactive import Invitation
from common.log_redaction import without_tokens
from common.settings import PROJECT_ROOT
from tests.helpers import file_clear_claim, free_port, wait_for
from workflows.mail import compose_invitation


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, **headers: str) -> int:
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def _tokens(app: Flask) -> tuple[str, str, int]:
    """A status link's token, an invitation's token, and the claim."""
    _browser, status_url = file_clear_claim(app)
    with app.extensions["effortless"].session_factory() as session:
        claim_id, booking_id = session.execute(select(Claim.id, Claim.booking_id)).one()
    message = compose_invitation(
        Invitation(booking_id=booking_id, direction="outbound", email="hans@example.org",
                   name="Hans Müller", language="en", operator="Test Rail",
                   reference="Q7K2LM"), app.extensions["effortless"].settings)
    invited = re.search(r"/invited/(\S+)",
                        message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert invited
    return status_url.rsplit("/", 1)[1], invited.group(1), claim_id


def test_no_token_in_the_access_log_the_error_log_or_the_500_line(
        app: Flask, settings_overrides: dict[str, Any], tmp_path: Path) -> None:
    status_token, invitation_token, claim_id = _tokens(app)
    logs = {name: tmp_path / f"{name}.log" for name in ("access", "error", "stderr")}
    environment = {**os.environ, **{k: str(v) for k, v in settings_overrides.items()}}
    port = free_port()
    with logs["stderr"].open("wb") as stderr:
        web = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--no-control-socket", "--access-logfile", str(logs["access"]),
             "--error-logfile", str(logs["error"]), "wsgi:app"],
            env=environment, cwd=PROJECT_ROOT, stderr=stderr)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/healthz", web)
            assert _get(f"{base}/status/{status_token}") == 200
            assert _get(f"{base}/status/{status_token}/data.json?download=1") == 200
            assert _get(f"{base}/invited/{invitation_token}") == 302
            assert _get(f"{base}/language/de?next=/status/{status_token}") == 302
            assert _get(f"{base}/manual", Referer=f"{base}/status/{status_token}") == 200
            assert _get(f"{base}/%73tatus/{status_token}") == 200
            # A claim the code cannot read: the status page fails, a 500 on a token route.
            with app.extensions["effortless"].session_factory.begin() as session:
                session.execute(update(Claim).where(Claim.id == claim_id)
                                .values(status="no-such-status"))
            assert _get(f"{base}/status/{status_token}") == 500
        finally:
            web.terminate()
            web.wait(timeout=30)
    written = {name: path.read_text(errors="replace") for name, path in logs.items()}
    everything = "\n".join(written.values())
    assert status_token not in everything and invitation_token not in everything
    # ... and the lines are there, each request's path kept up to its token.
    assert written["access"].count('"GET /status/[token]') == 4
    assert '"GET /invited/[token] HTTP/1.1" 302' in written["access"]
    assert "/language/de?[query]" in written["access"]
    assert f"{base}/status/[token]" in written["access"]  # the referer
    assert "unexpected error on GET /status/[token]" in everything
    assert "Traceback" in everything


@given(st.sampled_from(["status", "invited", "%73tatus", "%69nvited", "st%61tus"]),
       st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~",
               min_size=8, max_size=64),
       st.sampled_from(["", "/data.json", "/letter.pdf", "/accept", "?lang=de", "#top",
                        "%0aGET /healthz"]))
def test_a_token_in_any_path_or_query_is_redacted(prefix: str, token: str,
                                                  rest: str) -> None:
    """However the path is written (as the router reads it: percent-encoded letters
    decoded), in the request line, a query string or a referer."""
    for line in (f"GET /{prefix}/{token}{rest} HTTP/1.1",
                 f'"GET /x?next=/{prefix}/{token} HTTP/1.1" 302 "https://h/{prefix}/{token}"'):
        redacted = without_tokens(line)
        assert token not in redacted.replace("[token]", "")
        assert "\n" not in redacted  # a decoded line break never splits a line
