"""Erasure and retention leave nothing of a passenger anywhere (issue 43): not in a table,
not in Redis (a failed job's error, a result, a queue), not in a file under instance/
(an outbox e-mail, a letter), and a mail server's refusal puts her address in no log.

One passenger with a name, an e-mail address and an IBAN found nowhere else goes through
an offer, a claim, a clerk's question whose e-mail the mail server refuses with a 550
(a real worker's job fails for good), her answer with her IBAN; then erasure on request,
or, separately, the retention job with the clock moved on. Everything is searched raw:
table rows as the database holds them, every Redis value of every type (decompressed
and unpickled as RQ stores jobs and results), every file's bytes and decoded e-mails."""

from __future__ import annotations

import base64
import binascii
import contextlib
import email
import email.policy
import json
import logging
import pickle
import traceback
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from claims.db.models import Base, Booking, Claim, Payout
from claims.db.types import utcnow
from claims.operators import accounts
from portal import create_app
from tests.helpers import (
    Sink,
    create_operator,
    csrf_token,
    hidden_fields,
    load,
    look_up,
    mail_bodies,
    mails,
    run_worker,
    sign_in,
    status_links_in,
    status_path,
)
from tests.records import arrival, rail_booking
from workflows.pipeline import erase_expired_data
from workflows.queues import CLAIMS_QUEUE

NAME = "Zoltan Quibblesworth"
SURNAME = "Quibblesworth"
EMAIL = "zq.quibblesworth@passenger.example"
IBAN = "DE67370400449876543219"
# What would betray her: the name (and its surname alone), the address, the IBAN.
NEEDLES = (NAME, SURNAME, EMAIL, IBAN)
PASSWORD = "a-long-password"
OFFER = "Your train or flight was late: compensation for you, no claim needed"
INFO_REQUEST = "Your delay compensation claim: we need a detail from you"


def _booking(reference: str, **changes: Any) -> dict[str, Any]:
    return rail_booking(reference, passenger={"name": NAME, "email": EMAIL},
                        payment={"iban": IBAN, "holder": NAME}, **changes)


def _post(client: FlaskClient, page_url: str, url: str, **data: Any) -> Any:
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                                  **data})


def _claims(app: Flask) -> dict[str, Claim]:
    """Her claims by origin: the offer (proactive) and the one she filed (passenger)."""
    with app.extensions["effortless"].session_factory() as session:
        claims = list(session.scalars(select(Claim).order_by(Claim.id)))
        for claim in claims:
            session.expunge(claim)
    return {claim.origin: claim for claim in claims}


@pytest.fixture
def with_mail_server(settings_overrides: dict[str, Any], smtp_sink: tuple[Sink, int],
                     ) -> Iterator[Callable[[], Flask]]:
    """The same portal and workers, sending through the mail server from when it is
    called (the workers' jobs take the runtime built last)."""
    _sink, port = smtp_sink
    made: list[Flask] = []

    def make() -> Flask:
        made.append(create_app({**settings_overrides, "MAIL_SERVER": "127.0.0.1",
                                "MAIL_PORT": str(port)}))
        return made[-1]

    yield make
    for application in made:
        application.extensions["effortless"].close()


def _run_until_failed(app: Flask) -> None:
    """A real worker runs the jobs; a job waiting for its next try (minutes away) is put
    back in the queue at once, until its tries are spent."""
    current = app.extensions["effortless"]
    queue = Queue(CLAIMS_QUEUE, connection=current.redis)
    for _ in range(10):
        run_worker(app)
        waiting = queue.scheduled_job_registry.get_job_ids()
        if not waiting:
            return
        for job_id in waiting:
            queue.scheduled_job_registry.requeue(job_id)
    raise AssertionError("the jobs kept being retried")


def _her_story(app: Flask, with_mail_server: Callable[[], Flask],
               sink: Sink) -> tuple[Flask, FlaskClient, str]:
    """Offer, claim, question refused by the mail server: the portal sending through it,
    the clerk's browser and her status link. Three bookings: the offer's, the claim's, one
    never claimed."""
    key = create_operator(app)
    factory = app.extensions["effortless"].session_factory
    accounts.configure_operator(factory, "test-rail", proactive_mode="offer",
                                payout_account_name="Test Rail",
                                payout_account_iban="DE89370400440532013000")
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    unclaimed = rail_booking()["legs"][:1]
    # Another train for the claim: her claim on the offer's train would make that a twin.
    load(app, [_booking("ZQOFFER"),
               _booking("ZQCLAIM", legs=[{**unclaimed[0], "service": "IC 2015"}]),
               _booking("ZQNEVER", legs=[{**unclaimed[0], "service": "RE 4711"}])])
    # She files for one booking herself, with her own words, before the operator's data.
    passenger = app.test_client()
    look_up(passenger, "ZQCLAIM", SURNAME)
    filed = _post(passenger, "/claim", "/claim", passenger_name=NAME,
                  passenger_email=EMAIL, statement=f"{NAME} here: the train was late")
    assert filed.status_code == 302, filed.get_data(as_text=True)
    run_worker(app)
    # The operator's data: the other booking's journey gets an offer (to the outbox).
    response = app.test_client().post(
        "/api/v1/operations", data=json.dumps(arrival()),
        headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    run_worker(app)
    assert (EMAIL, OFFER) in mails(app)
    claims = _claims(app)
    assert claims["proactive"].status == "offered"

    # From now on a mail server, which refuses her address: the clerk's question fails.
    sink.refused.add(EMAIL.lower())
    smtp_app = with_mail_server()
    clerk = smtp_app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    filed_id = claims["passenger"].id
    assert claims["passenger"].status == "needs_review"  # her own words: a clerk reads them
    asked = _post(clerk, f"/clerk/claims/{filed_id}", f"/clerk/claims/{filed_id}/request-info",
                  items=["iban"])
    assert asked.status_code == 302, asked.get_data(as_text=True)
    _run_until_failed(smtp_app)
    connection = smtp_app.extensions["effortless"].redis
    assert f"notice-info_request-{filed_id}" in FailedJobRegistry(
        CLAIMS_QUEUE, connection=connection).get_job_ids()
    # What rq-dashboard shows of the failure: the code, not her address.
    result = Job.fetch(f"notice-info_request-{filed_id}", connection=connection).latest_result()
    assert result is not None and result.exc_string is not None
    assert "SMTP 550" in result.exc_string and EMAIL not in result.exc_string
    assert INFO_REQUEST not in sink.subjects()
    return smtp_app, clerk, status_path(app, filed_id)


def _decoded(blob: bytes) -> Iterator[str]:
    """A Redis value as RQ may have stored it: raw, zlib-compressed (a job's data and
    error), base64 of zlib (a result's error), pickled (a job's call and return value)."""
    layers = [blob]
    for decode in (zlib.decompress, lambda b: zlib.decompress(base64.b64decode(b))):
        with contextlib.suppress(zlib.error, binascii.Error, ValueError):
            layers.append(decode(blob))
    for layer in layers:
        yield layer.decode("utf-8", "replace")
        yield _unpickled(layer)


def _unpickled(layer: bytes) -> str:
    """What RQ pickled (a job's function and arguments, a return value); "" otherwise."""
    try:
        return repr(pickle.loads(layer))
    except Exception:  # not a pickle: any error unpickling says so
        return ""


def _redis_values(connection: redis.Redis) -> Iterator[tuple[str, str]]:
    """Every key and value in the database, whatever its type."""
    for raw_key in connection.scan_iter(count=1000):
        key = raw_key.decode("utf-8", "replace")
        kind = connection.type(raw_key).decode()
        values: list[bytes] = [raw_key]
        if kind == "string":
            values.append(connection.get(raw_key) or b"")
        elif kind == "hash":
            for field, value in connection.hgetall(raw_key).items():
                values += [field, value]
        elif kind == "list":
            values += connection.lrange(raw_key, 0, -1)
        elif kind == "set":
            values += list(connection.smembers(raw_key))
        elif kind == "zset":
            values += [member for member, _score in connection.zrange(raw_key, 0, -1,
                                                                      withscores=True)]
        elif kind == "stream":
            for _id, fields in connection.xrange(raw_key):
                for field, value in fields.items():
                    values += [field, value]
        else:
            raise AssertionError(f"{key}: a Redis type the search does not read: {kind}")
        for value in values:
            for shown in _decoded(value):
                yield key, shown


def _files(instance: Path) -> Iterator[tuple[str, str]]:
    """Every file under instance/, as bytes and, for an e-mail, its decoded headers and
    parts (a name may be encoded there)."""
    for path in instance.rglob("*"):
        if not path.is_file() or path.suffix in {".sock"}:
            continue
        data = path.read_bytes()
        yield str(path), data.decode("utf-8", "replace")
        if path.suffix == ".eml":
            message = email.message_from_bytes(data, policy=email.policy.default)
            yield str(path), " ".join(f"{k}: {v}" for k, v in message.items())
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    yield str(path), str(part.get_content())


def _rows(app: Flask) -> Iterator[tuple[str, str]]:
    """Every row of every table as the database holds it: nothing decrypted."""
    with app.extensions["effortless"].engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                yield table.name, " ".join(str(value) for value in row)


def _traces(app: Flask, caplog: pytest.LogCaptureFixture) -> list[str]:
    current = app.extensions["effortless"]
    places = [*(("table " + t, v) for t, v in _rows(app)),
              *(("redis " + k, v) for k, v in _redis_values(current.redis)),
              *(("file " + f, v) for f, v in _files(current.settings.instance_path)),
              *(("log " + r.name, r.getMessage()) for r in _ours(caplog))]
    found = {f"{needle!r} in {where}" for where, value in places for needle in NEEDLES
             if needle.lower() in value.lower()}
    # And what the application decrypts: no IBAN left to decrypt.
    with current.session_factory() as session:
        ibans = [("bookings", session.scalars(select(Booking.payment_iban))),
                 ("claims", session.scalars(select(Claim.payout_iban))),
                 ("payouts", session.scalars(select(Payout.iban)))]
        found |= {f"an IBAN decrypted from table {table}" for table, values in ibans
                  for value in values if value}
    return sorted(found)


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The portal's, the workers' and RQ's log records, with their tracebacks; not the
    test mail server's own (aiosmtpd's "mail.log"), which is outside the product."""
    records = [record for record in caplog.records if record.name != "mail.log"]
    for record in records:
        record.msg = caplog.handler.format(record)
        record.args = ()
    return records


@pytest.fixture
def worker_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_refused_mail_names_nobody_and_erasure_leaves_no_trace(
        app: Flask, with_mail_server: Callable[[], Flask], smtp_sink: tuple[Sink, int],
        worker_log: pytest.LogCaptureFixture) -> None:
    sink, _port = smtp_sink
    smtp_app, clerk, status_url = _her_story(app, with_mail_server, sink)
    # The refusal was logged and kept with the failed job, with the code, not the address.
    logged = "\n".join(record.getMessage() for record in _ours(worker_log))
    assert "SMTP 550" in logged and EMAIL not in logged
    passenger = app.test_client()
    # She answers with her IBAN, and declines the offer.
    answered = _post(passenger, status_url, status_url + "/info", iban=IBAN,
                     account_holder=NAME)
    assert answered.status_code == 302, answered.get_data(as_text=True)
    offer_links = [link for (_to, subject), body in zip(mails(app), mail_bodies(app),
                                                        strict=True)
                   if subject == OFFER for link in status_links_in(body)]
    declined = _post(passenger, offer_links[-1], offer_links[-1] + "/decline")
    assert declined.status_code == 302
    claims = _claims(app)
    assert claims["passenger"].payout_iban == IBAN
    filed_id, offer_id = claims["passenger"].id, claims["proactive"].id
    rejected = _post(clerk, f"/clerk/claims/{filed_id}", f"/clerk/claims/{filed_id}/reject",
                     reason="no-evidence", explanation=f"Dear {NAME}, no ticket was shown.")
    assert rejected.status_code == 302, rejected.get_data(as_text=True)
    _run_until_failed(smtp_app)
    before = _traces(app, worker_log)  # she is everywhere before, the search finds her
    assert any(" in file " in trace and trace.endswith(".eml") for trace in before), before
    assert any(" in table claims" in trace for trace in before), before

    for claim_id in (filed_id, offer_id):
        page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
        erased = clerk.post(f"/clerk/claims/{claim_id}/erase",
                            data={"csrf_token": csrf_token(page), "confirmed": "y"})
        assert erased.status_code == 302, erased.get_data(as_text=True)
    # Her jobs are gone from Redis, the failed ones too, whatever they held.
    connection = smtp_app.extensions["effortless"].redis
    assert not any(job_id.endswith((f"-{filed_id}", f"-{offer_id}")) for job_id in
                   FailedJobRegistry(CLAIMS_QUEUE, connection=connection).get_job_ids())
    # The booking nobody claimed is the operator's; retention takes it (the other test).
    remaining = [trace for trace in _traces(app, worker_log) if "table bookings" not in trace]
    assert not remaining, "\n".join(remaining)


def test_retention_erases_unanswered_offers_questions_and_unclaimed_bookings(
        app: Flask, with_mail_server: Callable[[], Flask], smtp_sink: tuple[Sink, int],
        worker_log: pytest.LogCaptureFixture) -> None:
    sink, _port = smtp_sink
    _her_story(app, with_mail_server, sink)
    current = app.extensions["effortless"]
    days = current.settings.retention_days
    # Within the period nothing goes: she may still answer.
    assert erase_expired_data(current.session_factory, current.settings, current.redis,
                              hourly=False, now=utcnow() + timedelta(days=days - 1)) == 0
    assert {c.status for c in _claims(app).values()} == {"offered", "info_requested"}
    assert erase_expired_data(current.session_factory, current.settings, current.redis,
                              hourly=False, now=utcnow() + timedelta(days=days + 1)) == 2
    assert _traces(app, worker_log) == []
    # The statuses stay, for the reports: unanswered.
    assert {c.status for c in _claims(app).values()} == {"offered", "info_requested"}


def test_a_failed_statement_names_no_passenger(app: Flask) -> None:
    """A database error (in a job: logged and kept with the failed job) shows the
    statement, never the values it carried."""
    factory = app.extensions["effortless"].session_factory
    with pytest.raises(IntegrityError) as refused, factory.begin() as session:
        # No such operator: the foreign key refuses the row.
        session.add(Claim(operator_id=999, regime="eu-rail", passenger_name=NAME,
                          passenger_email=EMAIL, statement=IBAN))
    kept = "".join(traceback.format_exception(refused.value))
    assert "INSERT INTO claims" in kept
    assert not [needle for needle in NEEDLES if needle in kept]
