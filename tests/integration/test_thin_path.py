"""The walking skeleton end to end: lookup, prefilled claim, submit, a real RQ worker
decides, the status page shows it; every step is an event."""

from decimal import Decimal

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.db.models import Claim, ClaimEvent
from tests.helpers import (
    DECISION,
    RECEIPT,
    count,
    create_operator,
    csrf_token,
    load,
    look_up,
    mails,
    run_worker,
    submit,
)
from tests.records import DAY, arrival, rail_booking
from workflows import pipeline


@pytest.fixture
def late_booking(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Hans Müller",
                                                 "email": "hans@example.org"})],
         [arrival(service="ICE 597", stop="Mannheim Hbf", actual=f"{DAY}T10:53:00+01:00"),
          arrival()])


def test_a_late_train_goes_from_lookup_to_an_approved_claim(
        app: Flask, client: FlaskClient, late_booking: None) -> None:
    found = look_up(client, " q7k2lm ", "MUELLER")
    assert found.status_code == 302 and found.location.endswith("/claim")

    form = client.get("/claim").get_data(as_text=True)
    assert 'value="Hans Müller"' in form and 'value="hans@example.org"' in form
    assert "arrived at Stuttgart Hbf 74 minutes late" in form
    assert "You are owed 19.75 EUR (25 %)" in form
    assert "DE02 **** **** **** 2051" in form and "DE02120300000000202051" not in form

    submitted = submit(client)
    assert submitted.status_code == 302
    status_url = submitted.location
    assert "checking your claim" in client.get(status_url).get_data(as_text=True)

    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "Approved: we pay you 19.75 EUR." in page
    assert mails(app) == [("hans@example.org", RECEIPT), ("hans@example.org", DECISION)]
    assert "Arrived 74 minutes late: 25 % of the 79.00 EUR ticket price." in page
    assert "Regulation (EU) 2021/782, Art. 19(1)(a)" in page

    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert (claim.status, claim.amount, claim.delay_minutes) == (
            "approved", Decimal("19.75"), 74)


def test_the_german_page_explains_in_german(app: Flask, client: FlaskClient,
                                             late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client, ).location
    run_worker(app)
    page = client.get(status_url, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "74 Minuten verspätet angekommen: 25 % des Fahrpreises von 79,00 EUR." in (
        page.get_data(as_text=True))


def test_a_wrong_surname_gets_the_same_answer_as_a_wrong_reference(
        client: FlaskClient, late_booking: None) -> None:
    wrong_name = look_up(client, "Q7K2LM", "Schmidt")
    wrong_reference = look_up(client, "ZZZZZZ", "Müller")
    assert wrong_name.status_code == wrong_reference.status_code == 404
    text = "We could not find a booking with this reference and surname."
    assert text in wrong_name.get_data(as_text=True)
    assert text in wrong_reference.get_data(as_text=True)


def test_empty_fields_get_a_message_and_422(client: FlaskClient, late_booking: None) -> None:
    response = look_up(client, "", "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter your booking reference." in page
    assert 'href="#reference"' in page  # the error summary links to the field


def test_a_bad_claim_form_keeps_what_was_typed(client: FlaskClient, late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    response = submit(client, passenger_email="not an address", statement="I took ICE 599")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter an e-mail address" in page
    assert "I took ICE 599" in page


def test_a_double_submit_files_one_claim(app: Flask, client: FlaskClient,
                                         late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    page = client.get("/claim").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "passenger_name": "Hans Müller"}
    first = client.post("/claim", data=data)
    second = client.post("/claim", data=data)
    # Both land on the one claim (each with a link of its own).
    assert first.location.startswith("/status/") and second.location.startswith("/status/")
    assert count(app, Claim) == 1
    # Decided once, whatever the second submit did.
    run_worker(app)
    assert "Approved" in client.get(first.location).get_data(as_text=True)
    assert "Approved" in client.get(second.location).get_data(as_text=True)
    with app.extensions["effortless"].session_factory() as session:
        decided = session.scalars(select(ClaimEvent.id).where(
            ClaimEvent.kind == "claim_decided")).all()
    assert len(decided) == 1


def test_a_passenger_statement_sends_the_claim_to_a_clerk(app: Flask, client: FlaskClient,
                                                           late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client, arrived_with_service="ICE 599").location
    run_worker(app)
    assert "A member of staff is checking your claim" in client.get(status_url).get_data(
        as_text=True)
    with app.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(Claim.reason_codes)).one() == ["passenger-statement"]


def test_a_claim_survives_redis_being_down_and_the_sweeper_queues_it(
        app: Flask, client: FlaskClient, late_booking: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = app.extensions["effortless"]
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(type(runtime), "redis", property(lambda self: unreachable))
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    monkeypatch.undo()
    with runtime.session_factory() as session:
        assert session.scalars(select(Claim.status)).one() == "submitted"
        assert "enqueue_failed" in set(session.scalars(select(ClaimEvent.kind)))
    run_worker(app)
    assert "checking your claim" in client.get(status_url).get_data(as_text=True)

    assert pipeline.sweep(runtime.session_factory, runtime.redis) == 1
    assert pipeline.sweep(runtime.session_factory, runtime.redis) == 0  # already queued
    run_worker(app)
    assert "Approved" in client.get(status_url).get_data(as_text=True)
    assert ("hans@example.org", DECISION) in mails(app)


def test_assessing_twice_changes_nothing(app: Flask, client: FlaskClient,
                                         late_booking: None) -> None:
    from claims.processing.assessment import assess_claim

    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    events = count(app, ClaimEvent)
    with factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    assert assess_claim(factory, claim_id).status == "approved"
    assert count(app, ClaimEvent) == events


def test_a_tampered_status_link_is_a_404(client: FlaskClient) -> None:
    response = client.get("/status/MQ.forged")
    assert response.status_code == 404
    assert "This status link is not valid" in response.get_data(as_text=True)


def test_the_portal_speaks_german_when_the_browser_does(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="de">' in text
    assert "Entschädigung für eine Verspätung beantragen" in text
    assert "Buchungsnummer" in text


def test_the_language_switch_sticks_and_only_redirects_on_site(client: FlaskClient) -> None:
    switched = client.get("/language/de?next=/")
    assert switched.location == "/"
    assert "Buchung finden" in client.get("/").get_data(as_text=True)
    assert client.get("/language/en?next=//evil.example").location == "/"
    assert "Find my booking" in client.get("/").get_data(as_text=True)


def test_german_error_messages(client: FlaskClient) -> None:
    client.get("/language/de")
    response = look_up(client, "", "Müller")
    assert "Bitte geben Sie Ihre Buchungsnummer ein." in response.get_data(as_text=True)


def test_a_reference_too_short_is_named_and_a_failed_look_up_shows_the_other_path(
        client: FlaskClient, late_booking: None) -> None:
    short = look_up(client, "ab1", "Müller")
    assert short.status_code == 422
    assert "A booking reference has 4 to 20 letters and digits" in short.get_data(as_text=True)
    missing = look_up(client, "ZZZZ99", "Müller")
    assert missing.status_code == 404
    assert 'href="/manual"' in missing.get_data(as_text=True).split('id="not-found"')[1]
