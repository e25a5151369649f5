"""The claim page's form is rendered once per language and shape and served with each
passenger's own values (portal/passenger/claim_form.py): what a passenger reads is what a
fresh render of the form would show them, their own name, e-mail, account and token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from portal.passenger.claim_form import FormShape, new_claim_form, render_form
from tests.helpers import create_operator, csrf_token, load, look_up
from tests.records import DAY, arrival, rail_booking, return_booking

FORM = re.compile(r'<form method="post" novalidate data-effort>.*?</form>', re.S)
FORM_TEMPLATE = "passenger/claim_form.html"


@pytest.fixture
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def note(_app: Flask, template: Any, **_extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(note, app)
    yield names
    template_rendered.disconnect(note, app)


# Each booking a shape of its own, and names that need escaping.
BOOKINGS = [
    (rail_booking("LATE01", passenger={"name": 'Jo <b>"O\'Brien"</b> & Söhne',
                                       "email": "jo+1@example.org"}),
     "Söhne", FormShape(account_on_file=True, journeys=("outbound",), details_open=False)),
    (rail_booking("NOACCT", passenger={"name": "Hans Müller"}, payment=None),
     "Müller", FormShape(account_on_file=False, journeys=("outbound",), details_open=False)),
    (rail_booking("ONTIME", passenger={"name": "Eva Schmidt", "email": "eva@example.org"},
                  legs=[{"service": "IC 2015", "origin": "Mannheim Hbf",
                         "destination": "Stuttgart Hbf",
                         "scheduled_departure": f"{DAY}T13:06:00+01:00",
                         "scheduled_arrival": f"{DAY}T13:44:00+01:00"}]),
     "Schmidt", FormShape(account_on_file=True, journeys=("outbound",), details_open=True)),
    (return_booking("RETURN", "Ana Weber"),
     "Weber", FormShape(account_on_file=True, journeys=("outbound", "return"),
                        details_open=False)),
]
# ONTIME's train came 19 minutes late: nothing is due, and the details start open.
ARRIVALS = [arrival(), arrival(service="IC 2015", actual=f"{DAY}T14:03:00+01:00")]


def _bookings() -> list[dict[str, Any]]:
    return [{key: value for key, value in booking.items() if value is not None}
            for booking, _surname, _shape in BOOKINGS]


def _page(client: FlaskClient, reference: str, surname: str) -> str:
    assert look_up(client, reference, surname).status_code == 302
    return client.get("/claim").get_data(as_text=True)


def _fresh_form(app: Flask, client: FlaskClient, shape: FormShape, name: str,
                email: str | None, account: str, language: str) -> str:
    """The form as the template writes it for a new ClaimForm, with the client's token."""
    with client.session_transaction() as session:
        stored = dict(session)
    with app.test_request_context("/claim", headers={"Accept-Language": language}):
        from flask import session

        session.update(stored)
        return render_form(new_claim_form(shape, name=name, email=email), shape, account)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_form_served_is_the_form_a_fresh_render_writes(app: Flask,
                                                           language: str) -> None:
    create_operator(app)
    load(app, _bookings(), ARRIVALS)
    pages = []
    for booking, surname, shape in BOOKINGS:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        page = _page(client, booking["reference"], surname)
        served = FORM.search(page)
        assert served, page
        iban = (booking["payment"] or {}).get("iban")
        account = f"{iban[:4]} **** **** **** {iban[-4:]}" if iban else ""
        fresh = FORM.search(_fresh_form(app, client, shape, booking["passenger"]["name"],
                                        booking["passenger"].get("email"), account,
                                        language))
        assert fresh
        token = csrf_token(page)
        assert served.group(0).replace(token, "T") == \
            fresh.group(0).replace(csrf_token(fresh.group(0)), "T")
        pages.append((shape, page))
    by_shape = {shape: page for shape, page in pages}
    assert "&lt;b&gt;&#34;O&#39;Brien&#34;&lt;/b&gt; &amp; Söhne" in by_shape[BOOKINGS[0][2]]
    assert "<b>" not in FORM.search(by_shape[BOOKINGS[0][2]]).group(0)  # type: ignore[union-attr]
    assert 'value="jo+1@example.org"' in by_shape[BOOKINGS[0][2]]
    assert "DE02 **** **** **** 2051" in by_shape[BOOKINGS[0][2]]
    assert 'value="account"' not in by_shape[BOOKINGS[1][2]]
    assert "<details open>" in by_shape[BOOKINGS[2][2]]
    assert 'value="return"' in by_shape[BOOKINGS[3][2]]


def test_one_render_serves_every_passenger_of_a_shape_with_their_own_token(
        app: Flask, rendered: list[str]) -> None:
    create_operator(app)
    load(app, [rail_booking("FIRST1", passenger={"name": "Erika Mustermann"}),
               rail_booking("SECOND", passenger={"name": "Max Mustermann",
                                                 "email": "max@example.org"})], [arrival()])
    first, second = app.test_client(), app.test_client()
    page_one = _page(first, "FIRST1", "Mustermann")
    page_two = _page(second, "SECOND", "Mustermann")
    assert rendered.count(FORM_TEMPLATE) == 1
    assert 'value="Erika Mustermann"' in page_one and 'value="Max Mustermann"' in page_two
    assert 'value="max@example.org"' in page_two and "max@" not in page_one
    assert csrf_token(page_one) != csrf_token(page_two)
    # Each token is its passenger's: the submit goes through with one's own only.
    stolen = second.post("/claim", data={"csrf_token": csrf_token(page_one),
                                         "passenger_name": "Max Mustermann"})
    assert stolen.status_code == 400
    own = second.post("/claim", data={"csrf_token": csrf_token(page_two),
                                      "passenger_name": "Max Mustermann"})
    assert own.status_code == 302


def test_a_form_sent_back_with_errors_is_the_passengers_own(app: Flask,
                                                            rendered: list[str]) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    client = app.test_client()
    page = _page(client, "Q7K2LM", "Mustermann")
    answer = client.post("/claim", data={"csrf_token": csrf_token(page),
                                         "passenger_name": "Erika M.",
                                         "passenger_email": "not-an-address",
                                         "statement": "The train <stopped> twice."})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'value="Erika M."' in text and 'value="not-an-address"' in text
    assert "The train &lt;stopped&gt; twice." in text
    assert 'class="error-summary"' in text
    # What was typed in "Something was different?" shows open; a booking in euros is
    # offered no UK account on the page after the error either.
    assert re.search(r"<details open>\s*<summary>", text)
    assert 'value="uk-account"' not in text
    # The form first shown came from the partial rendered alone; the one sent back is
    # the page's own render (an include, which Flask does not signal).
    assert rendered == ["passenger/start.html", FORM_TEMPLATE, "passenger/claim.html",
                        "passenger/claim.html"]
