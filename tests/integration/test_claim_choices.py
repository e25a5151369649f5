"""The claim form carries its own choices (the account on file, the journeys open), so
that its submit reads the booking once and the passenger's session cookie is written only
when the look-up puts the booking in it. The choices are trusted for nothing: a page that
offers what the booking lacks is sent back as the booking stands, with a clear message,
never a 500 and never a claim."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims.db.models import Claim
from claims.operators import accounts
from portal.passenger.forms import choices_text, read_choices
from tests.helpers import count, create_operator, hidden_fields, load, look_up, sign_in
from tests.records import arrival, rail_booking, return_booking


def _without_account(reference: str) -> dict[str, Any]:
    return {key: value for key, value in rail_booking(reference).items() if key != "payment"}


def _claim_page(app: Flask, booking: dict[str, Any]) -> tuple[FlaskClient, str]:
    create_operator(app)
    load(app, [booking], [arrival()])
    client = app.test_client()
    assert look_up(client, booking["reference"], "Mustermann").status_code == 302
    return client, client.get("/claim").get_data(as_text=True)


def test_the_claim_page_its_submit_and_the_status_page_leave_the_cookie_alone(
        app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    client = app.test_client()
    assert "Set-Cookie" in client.get("/").headers  # the CSRF secret
    assert "Set-Cookie" in look_up(client, "Q7K2LM", "Mustermann").headers  # the booking
    page = client.get("/claim")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert hidden_fields(page.get_data(as_text=True))["shown_choices"] == "account outbound"
    filed = client.post("/claim", data={**hidden_fields(page.get_data(as_text=True)),
                                        "passenger_name": "Erika Mustermann"})
    assert filed.status_code == 302 and "Set-Cookie" not in filed.headers
    status = client.get(filed.location)
    assert status.status_code == 200 and "Set-Cookie" not in status.headers
    assert count(app, Claim) == 1


def test_the_staff_navigation_still_knows_who_is_signed_in(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    clerk, manager = app.test_client(), app.test_client()
    sign_in(clerk, "clerk@example.org", "a-long-password")
    sign_in(manager, "boss@example.org", "a-long-password")
    assert 'href="/reports/"' not in clerk.get("/clerk/").get_data(as_text=True)
    assert 'href="/reports/"' in manager.get("/clerk/").get_data(as_text=True)


@pytest.mark.parametrize("language, message", [
    ("en", "Choose how we should pay you: to a bank account you enter"),
    ("de", "Wählen Sie, wie wir Sie auszahlen"),
])
def test_an_account_on_file_the_booking_lacks_is_sent_back_without_it(
        app: Flask, language: str, message: str) -> None:
    client, page = _claim_page(app, _without_account("NOACCT"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    assert hidden_fields(page)["shown_choices"] == "outbound"
    altered = client.post("/claim", data={
        **hidden_fields(page), "shown_choices": "account outbound", "payout": "account",
        "passenger_name": "Erika Mustermann"})
    assert altered.status_code == 422
    text = altered.get_data(as_text=True)
    assert message in text
    assert 'value="account"' not in text and 'value="iban"' in text
    assert 'value="Erika Mustermann"' in text
    assert count(app, Claim) == 0
    # The page sent back is the booking's as it stands: filed from it, the claim goes in.
    again = client.post("/claim", data={**hidden_fields(text), "payout": "voucher",
                                        "passenger_name": "Erika Mustermann"})
    assert again.status_code == 302
    assert count(app, Claim) == 1


def test_a_journey_the_booking_lacks_is_sent_back_not_an_error(app: Flask) -> None:
    client, page = _claim_page(app, rail_booking())
    altered = client.post("/claim", data={
        **hidden_fields(page), "shown_choices": "account outbound return",
        "journeys": ["return"], "passenger_name": "Erika Mustermann"})
    assert altered.status_code == 422
    text = altered.get_data(as_text=True)
    assert "Please check which journey you claim for" in text
    assert hidden_fields(text)["shown_choices"] == "account outbound"
    assert count(app, Claim) == 0


@pytest.mark.parametrize("sent", ["", "account", "outbound outbound", "account account "
                                  "outbound", "account outbound sideways", "x" * 5000])
def test_choices_that_no_page_shows_are_read_from_the_booking(app: Flask,
                                                               sent: str) -> None:
    client, page = _claim_page(app, rail_booking())
    filed = client.post("/claim", data={**hidden_fields(page), "shown_choices": sent,
                                        "passenger_name": "Erika Mustermann"})
    assert filed.status_code == 302
    assert count(app, Claim) == 1


def test_a_page_older_than_the_booking_is_sent_back_with_the_journeys_still_open(
        app: Flask) -> None:
    """Two tabs on a return ticket: the outbound journey filed from one, the other's
    form, still offering both, sent back with an error shows only the return journey."""
    client, page = _claim_page(app, return_booking("RETURN", "Erika Mustermann"))
    assert hidden_fields(page)["shown_choices"] == "account outbound return"
    first = client.post("/claim", data={**hidden_fields(page), "journeys": ["outbound"],
                                        "passenger_name": "Erika Mustermann"})
    assert first.status_code == 302
    stale = client.post("/claim", data={**hidden_fields(page),
                                        "journeys": ["outbound", "return"],
                                        "passenger_name": ""})
    assert stale.status_code == 422
    text = stale.get_data(as_text=True)
    assert hidden_fields(text)["shown_choices"] == "account return"
    assert "Enter your name." in text
    filed = client.post("/claim", data={**hidden_fields(text),
                                        "passenger_name": "Erika Mustermann"})
    assert filed.status_code == 302
    assert count(app, Claim) == 2


@pytest.mark.parametrize("account_on_file", [True, False])
@pytest.mark.parametrize("journeys", [("outbound",), ("return",), ("outbound", "return")])
def test_the_choices_read_back_as_written(account_on_file: bool,
                                          journeys: tuple[str, ...]) -> None:
    assert read_choices(choices_text(account_on_file, journeys)) == (account_on_file,
                                                                      journeys)
