"""Shared steps of the tests: operators, imports, a worker run, a passenger and a clerk
through the pages, servers on free ports. Test modules import from here, never from
each other."""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import Engine, event, func, select

from claims.db.models import Claim
from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from workflows.drain import drain_once
from workflows.queues import CLAIMS_QUEUE, DUE_CLAIMS
from workflows.worker import ClaimsWorker


def create_operator(app: Flask, slug: str = "test-rail", regime: str = "eu-rail") -> str:
    return accounts.create_operator(app.extensions["effortless"].session_factory, slug,
                                    slug.replace("-", " ").title(), regime)


def load(app: Flask, bookings: list[dict[str, Any]],
         operations: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
    factory = app.extensions["effortless"].session_factory
    report = import_bookings(factory, enumerate(bookings, start=1))
    assert not report.rejected, report.rejected
    report = import_operations(factory, enumerate(operations, start=1))
    assert not report.rejected, report.rejected


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def run_worker(app: Flask) -> None:
    """What the worker processes do, until nothing is left: the drain loop decides the due
    claims, a real RQ worker runs the jobs (notices, retries) and queues nothing new."""
    current = app.extensions["effortless"]
    queue = Queue(CLAIMS_QUEUE, connection=current.redis)
    while True:
        drained = drain_once(current)
        ClaimsWorker([CLAIMS_QUEUE], connection=current.redis).work(burst=True)
        if not drained and not queue.count and not current.redis.zcard(DUE_CLAIMS):
            return


def mails(app: Flask) -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail the portal has sent, oldest first: what the
    passengers got (the development outbox, as MAIL_SERVER is not set in tests)."""
    outbox = app.extensions["effortless"].settings.outbox_path
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(outbox.glob("*.eml"))] if outbox.exists() else []
    return [(str(m["To"]), str(m["Subject"])) for m in messages]


def mail_bodies(app: Flask) -> list[str]:
    """The text of every e-mail sent, oldest first."""
    outbox = app.extensions["effortless"].settings.outbox_path
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            .get_body(("plain",)).get_content()  # type: ignore[union-attr]
            for path in sorted(outbox.glob("*.eml"))] if outbox.exists() else []


def status_links_in(text: str) -> list[str]:
    """The paths of the status links in a text (an e-mail's, a page's)."""
    return re.findall(r"https?://[^/\s]+(/status/[A-Za-z0-9_-]+)", text)


DECISION = "Your delay compensation claim: the decision"
RECEIPT = "Your delay compensation claim is in"
INFO_REQUEST = "Your delay compensation claim: we need a detail from you"
NEW_LINK = "Your delay compensation claim: a new link"
DECISION_DE = "Ihr Antrag auf Verspätungsentschädigung: die Entscheidung"
INFO_REQUEST_DE = "Ihr Antrag auf Verspätungsentschädigung: uns fehlt eine Angabe"


class Sink:
    """A local SMTP server's handler (aiosmtpd): the mail server is outside the product.
    It refuses the addresses in `refused` with a 550 that names them, as servers do."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]

    def about(self, subject: str) -> email.message.EmailMessage:
        [message] = [m for m in self.messages if m["Subject"] == subject]
        return message

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.content, policy=email.policy.default))
        return "250 OK"


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The SQL of every statement the engine sends meanwhile, in order (an executemany
    once)."""
    statements: list[str] = []

    def sent(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", sent)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", sent)


def stored_claim(app: Flask, claim_id: int) -> Claim:
    """The claim as the database holds it now, detached: read after the session closed."""
    with app.extensions["effortless"].session_factory() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        session.expunge(claim)
        return claim


def count(app: Flask, model: Any) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# The servers the test run was pointed at (.ci/run's second pass), else the embedded ones.
REAL_DATABASE = os.environ.get("DATABASE_URL") or None
REAL_REDIS = os.environ.get("REDIS_URL") or None

CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def status_path(app: Flask, claim_id: int) -> str:
    """A fresh status link for the claim, as an e-mail or a look-up would give it."""
    from claims.processing.status_links import issue_link
    return "/status/" + issue_link(app.extensions["effortless"].session_factory, claim_id)


def csrf_token(html: str) -> str:
    field = CSRF_FIELD.search(html)
    value = VALUE.search(field.group(0)) if field else None
    assert value, "the page has no CSRF token"
    return value.group(1)


HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's forms, as a browser sends them back."""
    fields = {}
    for tag in HIDDEN.findall(html):
        name, value = NAME.search(tag), VALUE.search(tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def look_up(client: FlaskClient, reference: str, surname: str) -> Any:
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/", data={"csrf_token": token, "reference": reference,
                                  "surname": surname})


def submit(client: FlaskClient, **fields: str) -> Any:
    page = client.get("/claim").get_data(as_text=True)
    data = {**hidden_fields(page), "passenger_name": "Hans Müller",
            "passenger_email": "hans@example.org", **fields}
    return client.post("/claim", data=data)


def file_clear_claim(app: Flask, **fields: str) -> tuple[FlaskClient, str]:
    """Hans Müller's late train, filed on the clear path and decided: his browser and the
    status link it was sent to."""
    from tests.records import arrival, rail_booking

    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client, **fields).location
    run_worker(app)
    return client, status_url


def file_claim(app: Flask, reference: str, surname: str, **fields: str) -> None:
    """A passenger files with what the form prefilled, plus the given fields."""
    client = app.test_client()
    look_up(client, reference, surname)
    page = client.get("/claim").get_data(as_text=True)
    name = re.search(r'name="passenger_name"[^>]*value="([^"]+)"', page)
    mail = re.search(r'name="passenger_email"[^>]*value="([^"]+)"', page)
    assert name
    prefilled = {"passenger_name": name.group(1),
                 "passenger_email": mail.group(1) if mail else ""}
    response = client.post("/claim", data={**hidden_fields(page), **prefilled, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)


def file_claim_over_http(base_url: str, reference: str, surname: str) -> None:
    """One passenger against a real server, as a browser does it: the clear path's four
    requests, with the session cookie."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def step(path: str, form: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        with opener.open(base_url + path, data=body, timeout=60) as response:
            return str(response.read().decode())

    page = step("/")
    step("/", {"csrf_token": csrf_token(page), "reference": reference, "surname": surname})
    page = step("/claim")
    step("/claim", {**hidden_fields(page), "passenger_name": f"Test {surname}"})


def sign_in(client: FlaskClient, email: str, password: str,
            address: str = "127.0.0.1") -> Any:
    token = csrf_token(client.get("/clerk/login").get_data(as_text=True))
    return client.post("/clerk/login", data={"csrf_token": token, "email": email,
                                             "password": password},
                       environ_base={"REMOTE_ADDR": address})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")
