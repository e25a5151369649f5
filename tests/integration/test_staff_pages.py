"""The foundation's staff pages: sign-in, roles, the review queue and the overview."""

from flask import Flask
from flask.testing import FlaskClient

from claims.operators import accounts
from tests.helpers import create_operator, load, look_up, run_worker, sign_in, submit
from tests.records import arrival, rail_booking


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
