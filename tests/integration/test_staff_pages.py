"""The foundation's staff pages: sign-in, roles, the review queue and the overview."""

import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue, Worker
from rq.job import Job, JobStatus

from claims.operators import accounts
from portal.reports import views as report_views
from tests.helpers import create_operator, load, look_up, run_worker, sign_in, submit
from tests.records import arrival, rail_booking
from workflows.queues import CLAIMS_QUEUE, EFFORT_CATCH_UP_JOB, effort_catch_up_by_worker
from workflows.worker import ClaimsWorker


def test_staff_pages_need_the_right_role(app: Flask, client: FlaskClient) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    assert client.get("/clerk/").location.startswith("/clerk/login")
    assert client.get("/reports/").location.startswith("/clerk/login")
    assert sign_in(client, "clerk@example.org", "wrong-password!").status_code == 401
    assert sign_in(client, "CLERK@example.org", "a-long-password").location == "/clerk/"
    assert client.get("/clerk/").status_code == 200
    assert client.get("/reports/").status_code == 403


def test_the_queue_and_the_straight_through_share(app: Flask, client: FlaskClient) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Hans Müller"}),
               rail_booking("BBBB02", passenger={"name": "Eva Müller"})], [arrival()])
    passenger = app.test_client()
    look_up(passenger, "AAAA01", "Müller")
    submit(passenger)
    other = app.test_client()
    look_up(other, "BBBB02", "Müller")
    submit(other, passenger_name="Eva Müller", statement="I was on ICE 599")
    run_worker(app)

    sign_in(client, "boss@example.org", "a-long-password")
    queue = client.get("/clerk/").get_data(as_text=True)
    assert "#2" in queue and "passenger&#39;s statement" in queue and "#1" not in queue
    overview = client.get("/reports/").get_data(as_text=True)
    assert '<td id="straight-through">50.0 %</td>' in overview


def test_with_a_worker_listening_the_report_leaves_its_catch_up_to_the_worker(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    current = app.extensions["effortless"]
    accounts.create_user(current.session_factory, "boss@example.org", "manager",
                         "a-long-password")
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Hans Müller"}),
               rail_booking("BBBB02", passenger={"name": "Eva Müller"})], [arrival()])
    look_up(passenger := app.test_client(), "AAAA01", "Müller")
    submit(passenger)
    run_worker(app)
    sign_in(client, "boss@example.org", "a-long-password")
    listening = Worker([CLAIMS_QUEUE], connection=current.redis)
    listening.register_birth()  # as a worker process does when it starts
    try:
        first = client.get("/reports/").get_data(as_text=True)
        # Answered at once from the records as they are, with what is still being added.
        assert 'id="catching-up"' in first and '<td id="claims">0</td>' in first
        client.get("/reports/")
        queued = Queue(CLAIMS_QUEUE, connection=current.redis).job_ids
        assert queued.count(EFFORT_CATCH_UP_JOB) == 1  # one catch-up, however many views

        ClaimsWorker([CLAIMS_QUEUE], connection=current.redis).work(burst=True)
        caught_up = client.get("/reports/").get_data(as_text=True)
        assert 'id="catching-up"' not in caught_up and '<td id="claims">1</td>' in caught_up

        # Events the workers left waiting for over a minute: the page does not wait for
        # them any longer and catches up itself.
        look_up(other := app.test_client(), "BBBB02", "Müller")
        submit(other, passenger_name="Eva Müller")
        run_worker(app)
        # (The log is append-only: the minute passes here by shortening it.)
        monkeypatch.setattr(report_views, "WORKERS_CATCH_UP_WITHIN", timedelta(0))
        behind = client.get("/reports/").get_data(as_text=True)
        assert 'id="catching-up"' not in behind and '<td id="claims">2</td>' in behind
        assert EFFORT_CATCH_UP_JOB not in Queue(CLAIMS_QUEUE, connection=current.redis).job_ids
    finally:
        listening.register_death()


def test_the_catch_up_job_waits_for_what_the_page_saw_to_settle(app: Flask) -> None:
    connection = app.extensions["effortless"].redis
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    assert not effort_catch_up_by_worker(connection)  # no worker listens: the page does it
    listening = Worker([CLAIMS_QUEUE], connection=connection)
    listening.register_birth()
    try:
        for _view in range(2):
            assert effort_catch_up_by_worker(connection, delay=timedelta(seconds=0.5))
        assert queue.scheduled_job_registry.get_job_ids() == [EFFORT_CATCH_UP_JOB]
        assert EFFORT_CATCH_UP_JOB not in queue.job_ids
    finally:
        listening.register_death()
    time.sleep(0.6)
    # A worker's scheduler queues it when the delay is over, and the worker runs it.
    ClaimsWorker([CLAIMS_QUEUE], connection=connection).work(burst=True, with_scheduler=True)
    assert Job.fetch(EFFORT_CATCH_UP_JOB, connection=connection).get_status() == \
        JobStatus.FINISHED
