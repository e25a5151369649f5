"""The decision path: claims due in a Redis set, drain loops deciding them in batches, with
the same transitions and events per claim as the one-by-one path, and nothing lost when a
batch dies with its worker."""

import threading
import time
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from claims.db.models import Booking, Claim, ClaimEvent
from claims.passengers import filing
from claims.processing.assessment import assess_claims
from tests.helpers import REAL_DATABASE, create_operator, load, run_worker, statements_run
from tests.records import arrival, rail_booking
from workflows import pipeline
from workflows.drain import BUSY_WITHIN, Gathering, drain_forever
from workflows.queues import DUE_CLAIMS, dispatch_due, take_due

CLAIMS = 25


def _file(app: Flask, operator: str = "test-rail", name: str = "Hans Müller",
          count: int = CLAIMS, service: str = "IC 2013") -> list[int]:
    """Bookings on one late train, each with a filed claim; returns the claim ids."""
    prefix = operator[:2].upper()
    load(app, [rail_booking(f"{prefix}{index:04d}", operator=operator,
                            passenger={"name": f"{name} {index}"},
                            legs=[{**rail_booking()["legs"][-1], "service": service}])
               for index in range(count)],
         [{**arrival(service=service), "operator": operator}])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_ids = session.scalars(select(Booking.id).join(Booking.operator)
                                      .where(Booking.reference.like(f"{prefix}%"))).all()
    return [filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name=f"{name} {index}", passenger_email=None, arrived_with_service=None,
        statement=None, language="de"), effort={}).claim_id
        for index, booking_id in enumerate(booking_ids)]


def _events(app: Flask, kind: str) -> Counter[int]:
    with app.extensions["effortless"].session_factory() as session:
        return Counter(session.scalars(select(ClaimEvent.claim_id)
                                       .where(ClaimEvent.kind == kind)))


def _statuses(app: Flask) -> Counter[str]:
    with app.extensions["effortless"].session_factory() as session:
        return Counter(session.scalars(select(Claim.status)))


def test_a_batch_decides_each_claim_with_its_own_events_and_twice_changes_nothing(
        app: Flask) -> None:
    create_operator(app)
    claim_ids = _file(app)
    factory = app.extensions["effortless"].session_factory
    outcomes = assess_claims(factory, claim_ids)
    assert {outcome.status for outcome in outcomes.values()} == {"approved"}
    assert sorted(outcomes) == sorted(claim_ids)
    every_claim_once = Counter({claim_id: 1 for claim_id in claim_ids})
    assert _events(app, "assessment_started") == every_claim_once
    assert _events(app, "claim_decided") == every_claim_once
    assert assess_claims(factory, claim_ids) == {}
    assert _events(app, "claim_decided") == every_claim_once


def test_a_batch_writes_each_claim_once_and_its_events_in_one_insert(app: Flask) -> None:
    """Submitted -> assessing -> decided, flushed at the commit only: the claims' rows
    are updated in one statement, then the events of every claim inserted (flushed
    before the batch's reads as well, it was one update and one insert more)."""
    create_operator(app)
    claim_ids = _file(app, count=8)
    runtime = app.extensions["effortless"]
    with statements_run(runtime.engine) as statements:
        outcomes = assess_claims(runtime.session_factory, claim_ids)
    writes = [(words[0], words[2] if words[0] == "INSERT" else words[1])
              for words in (sql.split() for sql in statements)
              if words[0] in ("UPDATE", "INSERT")]
    assert {outcome.status for outcome in outcomes.values()} == {"approved"}
    # One update of the claims, then the events (on SQLite one insert each, on
    # PostgreSQL all of them in one).
    assert writes[0] == ("UPDATE", "claims")
    assert set(writes[1:]) == {("INSERT", "claim_events")}
    if REAL_DATABASE:
        assert len(writes) == 2
    assert _events(app, "assessment_started") == Counter({claim_id: 1 for claim_id in claim_ids})


def test_dispatched_claims_wait_in_one_set_and_are_decided_once(app: Flask) -> None:
    create_operator(app)
    claim_ids = _file(app)
    connection = app.extensions["effortless"].redis
    for claim_id in claim_ids + claim_ids[:5]:  # a double dispatch adds nothing
        dispatch_due(connection, claim_id)
    assert connection.zcard(DUE_CLAIMS) == CLAIMS
    run_worker(app)
    assert _statuses(app) == Counter({"approved": CLAIMS})
    assert _events(app, "claim_decided") == Counter({claim_id: 1 for claim_id in claim_ids})


def test_a_waiting_drain_loop_decides_a_claim_the_moment_it_is_filed(app: Flask) -> None:
    """The idle case: the loop is blocked in BZPOPMIN when the claim arrives; Redis wakes
    it. Nothing waits for the sweeper."""
    create_operator(app)
    [claim_id] = _file(app, count=1)
    runtime = app.extensions["effortless"]
    stop = threading.Event()
    loop = threading.Thread(target=drain_forever, args=(runtime, stop), daemon=True)
    loop.start()
    try:
        time.sleep(0.5)  # the loop is waiting now
        filed = time.monotonic()
        dispatch_due(runtime.redis, claim_id)
        while _statuses(app) != Counter({"approved": 1}) and time.monotonic() - filed < 5:
            time.sleep(0.02)
        assert _statuses(app) == Counter({"approved": 1})
        assert time.monotonic() - filed < 2
    finally:
        stop.set()
        loop.join(timeout=10)


def test_claims_a_dead_drain_loop_held_are_found_by_the_sweeper(app: Flask) -> None:
    create_operator(app)
    claim_ids = _file(app)
    runtime = app.extensions["effortless"]
    for claim_id in claim_ids:
        dispatch_due(runtime.redis, claim_id)
    # A drain loop takes a batch and its process dies before it commits: Redis forgets
    # the claims; the database still has them submitted.
    assert sorted(take_due(runtime.redis, batch=100)) == sorted(claim_ids)
    run_worker(app)
    assert _statuses(app) == Counter({"submitted": CLAIMS})
    assert pipeline.sweep(runtime.session_factory, runtime.redis) == CLAIMS
    assert pipeline.sweep(runtime.session_factory, runtime.redis) == 0  # waiting already
    run_worker(app)
    assert _statuses(app) == Counter({"approved": CLAIMS})


def test_a_failing_batch_falls_back_to_one_job_per_claim(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflows import drain

    def broken(factory: Any, claim_ids: Any) -> Any:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(drain, "assess_claims", broken)
    create_operator(app)
    claim_ids = _file(app, count=5)
    for claim_id in claim_ids:
        dispatch_due(app.extensions["effortless"].redis, claim_id)
    run_worker(app)
    assert _statuses(app) == Counter({"approved": 5})


def test_the_same_name_and_service_at_another_operator_is_no_duplicate(app: Flask) -> None:
    create_operator(app, "one-rail")
    create_operator(app, "two-rail")
    first = _file(app, operator="one-rail", count=1)
    second = _file(app, operator="two-rail", count=1)
    outcomes = assess_claims(app.extensions["effortless"].session_factory, first + second)
    assert [outcome.status for outcome in outcomes.values()] == ["approved", "approved"]


ON_POSTGRESQL = pytest.mark.skipif(
    not (REAL_DATABASE or "").startswith("postgres"),
    reason="row locks: the .ci/run PostgreSQL pass (SQLite has one writer at a time)")


@ON_POSTGRESQL
def test_a_claim_someone_writes_an_event_for_is_decided_not_skipped(app: Flask) -> None:
    """A status link or an event being written points at the claim (KEY SHARE): the batch
    decides it all the same, instead of skipping it as if another worker held it."""
    create_operator(app)
    [claim_id] = _file(app, count=1)
    engine = app.extensions["effortless"].engine
    with engine.connect() as other:
        other.execute(ClaimEvent.__table__.insert().values(
            claim_id=claim_id, kind="status_viewed", actor="passenger", counts={}))
        outcomes = assess_claims(app.extensions["effortless"].session_factory, [claim_id])
        other.rollback()
    assert claim_id in outcomes


@ON_POSTGRESQL
def test_a_claim_another_worker_holds_is_due_again_not_lost(app: Flask) -> None:
    from workflows.drain import decide_batch

    create_operator(app)
    [claim_id] = _file(app, count=1)
    current = app.extensions["effortless"]
    current.redis.delete(DUE_CLAIMS)
    with current.engine.connect() as other:
        other.execute(select(Claim.id).where(Claim.id == claim_id)
                      .with_for_update(key_share=True))
        assert decide_batch(current, [claim_id]) == 0
        other.rollback()
    # Skipped while held: back in the due set for the next take, not left to the sweeper.
    assert take_due(current.redis, 10) == [claim_id]


def test_a_drain_loop_gathers_the_claims_filed_just_after_the_first(app: Flask) -> None:
    """Claims trickling in one by one are decided together: the loop that takes the first
    waits the gathering time for the others, instead of a transaction for each."""
    current = app.extensions["effortless"]
    current.redis.delete(DUE_CLAIMS)
    dispatch_due(current.redis, 1)

    def later() -> None:
        time.sleep(0.05)
        for claim_id in (2, 3):
            dispatch_due(current.redis, claim_id)

    filer = threading.Thread(target=later)
    filer.start()
    assert take_due(current.redis, 10, wait=1, gather=0.3) == [1, 2, 3]
    filer.join()
    # Without gathering, the first is taken alone.
    dispatch_due(current.redis, 4)
    filer = threading.Thread(target=later)
    filer.start()
    assert take_due(current.redis, 10, wait=1) == [4]
    filer.join()
    # How long to gather may be decided once the first claim is in.
    current.redis.delete(DUE_CLAIMS)
    dispatch_due(current.redis, 1)
    filer = threading.Thread(target=later)
    filer.start()
    assert take_due(current.redis, 10, wait=1, gather=lambda: 0.3) == [1, 2, 3]
    filer.join()
    current.redis.delete(DUE_CLAIMS)


def test_a_drain_loop_gathers_only_while_claims_keep_coming() -> None:
    """A claim after a quiet spell is decided at once; in a busy stretch the loop waits
    the gathering time for others to share the transaction."""
    clock = [100.0]
    gathering = Gathering(0.2, clock=lambda: clock[0])
    assert gathering.now() == 0  # nothing taken yet: a quiet start
    gathering.taken()
    clock[0] += 0.3
    assert gathering.now() == 0.2
    gathering.taken()
    clock[0] += BUSY_WITHIN + 0.1
    assert gathering.now() == 0
