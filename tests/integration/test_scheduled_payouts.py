"""Scheduled payout runs: the real sweeper finds the operators whose run is due, real RQ
workers pay them, one run at a time across hosts; time is driven by passing `now`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskCliRunner
from rq import Queue
from sqlalchemy import func, select

from claims.core.vocabulary import NoticeKind
from claims.db.models import Claim, Operator, PayoutRun
from claims.db.types import utcnow
from claims.operators import accounts
from claims.processing.scheduled_payouts import take_due_run
from tests.helpers import create_operator, file_claim, load, mails, run_worker
from tests.records import arrival, rail_booking
from workflows.payout_runs import run_lock_name, run_scheduled_payouts
from workflows.pipeline import sweep
from workflows.queues import CLAIMS_QUEUE, enqueue_notice, enqueue_payout_run
from workflows.worker import ClaimsWorker

# A fixed minute's start, so that "a minute later" is never the same clock minute; two
# days ahead, so that a sweep on the real clock (a worker's own, minutes after this module
# was loaded in a long run) never finds a run of these tests due.
# A minute after a quarter hour: "every:15" is not due a minute later, whatever the clock
# said when the tests started.
_NOW = utcnow().replace(second=0, microsecond=0)
T0 = _NOW.replace(minute=_NOW.minute - _NOW.minute % 15) + timedelta(days=2, minutes=1)


def _operator(app: Flask, slug: str, schedule: str, *references: str) -> None:
    create_operator(app, slug)
    accounts.configure_operator(factory(app), slug, payout_account_name=slug,
                                payout_account_iban="DE89 3704 0044 0532 0130 00",
                                payout_schedule=schedule, now=T0)
    load(app, [rail_booking(reference, operator=slug, passenger={"name": f"Anna {reference}",
                                                      "email": f"{reference}@example.org"})
               for reference in references], [arrival(operator=slug)])


def factory(app: Flask) -> Any:
    return app.extensions["effortless"].session_factory


def _approved(app: Flask, reference: str) -> None:
    file_claim(app, reference, reference)
    run_worker(app)


def _runs(app: Flask, slug: str) -> int:
    with factory(app)() as session:
        return int(session.scalar(select(func.count(PayoutRun.id)).join(
            Operator, Operator.id == PayoutRun.operator_id).where(Operator.slug == slug)))


def _sweep_and_work(app: Flask, now: datetime) -> None:
    current = app.extensions["effortless"]
    sweep(current.session_factory, current.redis, now=now)
    ClaimsWorker([CLAIMS_QUEUE], connection=current.redis).work(burst=True)


def test_the_sweeper_starts_the_run_of_a_due_operator_and_not_of_others(app: Flask) -> None:
    _operator(app, "due-rail", "every:15", "DUEAA1")
    _operator(app, "later-rail", "daily@23:59", "LATER1")
    _operator(app, "hand-rail", "manual", "HANDA1")
    for reference in ("DUEAA1", "LATER1", "HANDA1"):
        _approved(app, reference)

    _sweep_and_work(app, T0 + timedelta(minutes=1))  # nothing due yet
    assert _runs(app, "due-rail") == 0

    fifteen = T0.replace(minute=T0.minute - T0.minute % 15) + timedelta(minutes=15)
    _sweep_and_work(app, fifteen)
    assert (_runs(app, "due-rail"), _runs(app, "later-rail"), _runs(app, "hand-rail")) \
        == (1, 0, 0)
    with factory(app)() as session:
        statuses = dict(session.execute(select(Claim.passenger_name, Claim.status)).all())
        due = session.scalar(select(Operator).where(Operator.slug == "due-rail"))
        assert due is not None
        assert due.payout_last_run_at == fifteen
        assert due.payout_next_run_at == fifteen + timedelta(minutes=15)
    assert statuses == {"Anna DUEAA1": "paid", "Anna LATER1": "approved",
                        "Anna HANDA1": "approved"}
    assert [path.name for path in (Path(app.instance_path) / "payouts").iterdir()] \
        == ["due-rail-run-000001.xml"]
    # The worker told the passenger, as a run by hand does.
    assert ("DUEAA1@example.org", "Your delay compensation is on its way") in mails(app)


def test_every_minute_runs_once_each_minute(app: Flask) -> None:
    _operator(app, "test-rail", "every:1", "MINUT1", "MINUT2", "MINUT3")
    for minute, reference in enumerate(("MINUT1", "MINUT2", "MINUT3"), start=1):
        _approved(app, reference)
        _sweep_and_work(app, T0 + timedelta(minutes=minute))
        _sweep_and_work(app, T0 + timedelta(minutes=minute, seconds=30))  # same minute
        assert _runs(app, "test-rail") == minute
    with factory(app)() as session:
        assert set(session.scalars(select(Claim.status))) == {"paid"}


def test_two_hosts_triggering_the_same_run_make_one_run(app: Flask) -> None:
    _operator(app, "test-rail", "every:5", "TWICE1")
    _approved(app, "TWICE1")
    current = app.extensions["effortless"]
    due = T0 + timedelta(minutes=5)

    # Two sweepers queue it: one job.
    assert enqueue_payout_run(current.redis, 1, due)
    assert not enqueue_payout_run(current.redis, 1, due)
    assert Queue(CLAIMS_QUEUE, connection=current.redis).count == 1
    Queue(CLAIMS_QUEUE, connection=current.redis).empty()

    # Two workers run it at once: one run.
    results: list[Any] = []
    start = threading.Barrier(2)

    def host() -> None:
        start.wait()
        results.append(run_scheduled_payouts(current, 1, due))

    hosts = [threading.Thread(target=host) for _ in range(2)]
    for thread in hosts:
        thread.start()
    for thread in hosts:
        thread.join()
    assert sorted(len(result or ()) for result in results) == [0, 1]
    assert _runs(app, "test-rail") == 1
    assert not current.redis.exists(run_lock_name(1))


def test_a_due_run_goes_ahead_of_the_mails_waiting(app: Flask) -> None:
    """A storm's e-mails go out at MAIL_RATE, one worker's turn each: a payout run queued
    behind 10,000 of them waited 500 s."""
    current = app.extensions["effortless"]
    for claim_id in range(1, 6):
        enqueue_notice(current.redis, claim_id, NoticeKind.DECISION)
    assert enqueue_payout_run(current.redis, 1, T0)
    queue = Queue(CLAIMS_QUEUE, connection=current.redis)
    assert queue.job_ids[0] == "payout-run-1" and queue.count == 6
    queue.empty()


def test_the_database_row_alone_gives_a_due_run_once(app: Flask) -> None:
    """Redis flapped (the lock lost): the row still lets one host take the run."""
    _operator(app, "test-rail", "every:5", "ROWAA1")
    with factory(app)() as session:
        due = session.scalar(select(Operator.payout_next_run_at))
    assert due is not None and due.minute % 5 == 0  # on the clock
    zone = ZoneInfo("Europe/Berlin")
    assert not take_due_run(factory(app), 1, due - timedelta(seconds=1), zone)  # not yet
    assert take_due_run(factory(app), 1, due, zone)
    assert not take_due_run(factory(app), 1, due, zone)


def test_a_run_still_paying_holds_back_the_next(app: Flask) -> None:
    _operator(app, "test-rail", "every:1", "HOLDA1")
    _approved(app, "HOLDA1")
    current = app.extensions["effortless"]
    current.redis.set(run_lock_name(1), "another host", ex=60)
    assert run_scheduled_payouts(current, 1, T0 + timedelta(minutes=1)) is None
    assert _runs(app, "test-rail") == 0
    current.redis.delete(run_lock_name(1))
    # Still due: the next sweep's job pays it.
    _sweep_and_work(app, T0 + timedelta(minutes=1, seconds=30))
    assert _runs(app, "test-rail") == 1


def test_schedules_are_set_from_the_command_line(app: Flask, runner: FlaskCliRunner) -> None:
    create_operator(app)
    result = runner.invoke(args=["operators", "configure", "test-rail",
                                 "--payout-schedule", "daily@14", "--sepa-instant"])
    assert result.exit_code == 0, result.output
    assert "payout-schedule: daily@14:00" in result.output
    assert "sepa-instant: True" in result.output
    with factory(app)() as session:
        operator = session.scalar(select(Operator))
        assert operator is not None and operator.payout_next_run_at is not None
        local = operator.payout_next_run_at.astimezone(
            ZoneInfo("Europe/Berlin"))
        assert (local.hour, local.minute) == (14, 0)
        assert operator.payout_next_run_at > datetime.now(UTC)

    bad = runner.invoke(args=["operators", "configure", "test-rail",
                              "--payout-schedule", "hourly"])
    assert bad.exit_code == 2
    assert "daily@HH[:MM]" in bad.output

    manual = runner.invoke(args=["operators", "configure", "test-rail",
                                 "--payout-schedule", "manual"])
    assert "payout-next-run-at: None" in manual.output


def test_a_hand_run_can_pay_one_operator(app: Flask, runner: FlaskCliRunner) -> None:
    _operator(app, "test-rail", "manual", "HANDB1")
    _operator(app, "other-rail", "manual", "HANDB2")
    _approved(app, "HANDB1")
    _approved(app, "HANDB2")
    result = runner.invoke(args=["payouts", "run", "--operator", "other-rail"])
    assert result.exit_code == 0, result.output
    assert "other-rail: run 1" in result.output
    assert (_runs(app, "test-rail"), _runs(app, "other-rail")) == (0, 1)
