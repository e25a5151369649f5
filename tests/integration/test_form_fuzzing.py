"""Hypothesis over the passenger's forms (issue 14): whatever is typed, pasted or forged
into any field, the answer is a page in the passenger's language, never a 500; a refused
form saves nothing, and what was saved before stays."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from claims.db.models import Claim
from tests.helpers import create_operator, csrf_token, load, look_up, run_worker, submit
from tests.records import arrival, rail_booking

# Anything a browser can send: every character but lone surrogates (not encodable).
TYPED = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
FIELD_VALUE = st.one_of(TYPED, st.sampled_from([
    "", " ", "0", "-1", "49,90", "1e9", "NaN", "Infinity", "29.02.2026", "2026-02-30", "25:61",
    "DE89 3704 0044 0532 0130 00", "=HYPERLINK(\"x\")", "<script>alert(1)</script>",
    "\x00", "ä" * 3000, "outbound", "return", "account", "iban", "voucher"]))
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
ANSWERS = {200, 302, 404, 409, 413, 422, 429}


def _post(client: FlaskClient, page: str, url: str, fields: dict[str, Any],
          **extra: Any) -> Any:
    data = {"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **fields}
    response = client.post(url, data=data, headers={"Accept-Language": "de"}, **extra)
    assert response.status_code in ANSWERS, (url, fields, response.status_code)
    if response.status_code == 422:
        # Refused in German, with the fields named.
        assert 'class="error' in response.get_data(as_text=True) or \
            'role="alert"' in response.get_data(as_text=True)
    return response


def _claims(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Claim)) or 0)


@pytest.fixture
def booked(app: Flask) -> Flask:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"}),
               rail_booking("RETURN1", fare={"amount": "50.00", "currency": "EUR",
                                             "kind": "return"})], [arrival()])
    return app


@FUZZ
@given(reference=FIELD_VALUE, surname=FIELD_VALUE)
def test_the_look_up_and_the_new_link_take_anything(booked: Flask, reference: str,
                                                    surname: str) -> None:
    client = booked.test_client()
    fields = {"reference": reference, "surname": surname}
    found = _post(client, "/", "/", fields)
    assert found.status_code in (302, 404, 422)
    assert _post(client, "/new-link", "/new-link", fields).status_code in (200, 422)


@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={
    name: FIELD_VALUE for name in ("passenger_name", "passenger_email", "arrived_with_service",
                                   "statement", "payout", "iban", "account_holder",
                                   "journeys", "keystrokes", "clicks", "active_ms")}))
def test_the_claim_form_refuses_without_saving_or_files_once(booked: Flask,
                                                              fields: dict[str, str]) -> None:
    client = booked.test_client()
    look_up(client, "Q7K2LM", "Müller")
    before = _claims(booked)
    response = _post(client, "/claim", "/claim", fields)
    after = _claims(booked)
    if response.status_code == 422:
        assert after == before
    else:
        assert after <= 1 and response.status_code == 302


@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={
    name: FIELD_VALUE for name in ("operator", "service", "origin", "destination",
                                   "travel_date", "scheduled_arrival", "price", "payout",
                                   "iban", "account_holder", "passenger_name",
                                   "passenger_email", "statement")}),
       ticket=st.sampled_from([None, b"", b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n" + b"0" * 10,
                               b"MZ\x90\x00"]))
def test_the_no_booking_form_takes_anything(booked: Flask, fields: dict[str, str],
                                            ticket: bytes | None) -> None:
    client = booked.test_client()
    data: dict[str, Any] = dict(fields)
    if ticket is not None:
        data["ticket"] = (io.BytesIO(ticket), "ticket.pdf")
    before = _claims(booked)
    response = _post(client, "/manual", "/manual", data,
                     content_type="multipart/form-data")
    if response.status_code == 422:
        assert _claims(booked) == before


@FUZZ
@given(info=FIELD_VALUE, objection=FIELD_VALUE, score=FIELD_VALUE, comment=FIELD_VALUE)
def test_the_status_page_forms_take_anything(booked: Flask, info: str, objection: str,
                                             score: str, comment: str) -> None:
    client = booked.test_client()
    look_up(client, "Q7K2LM", "Müller")
    filed = client.get("/claim")  # filed by an earlier example: its status page
    status_url = filed.location if filed.status_code == 302 else submit(client).location
    run_worker(booked)
    for suffix, fields in (("/info", {"arrived_with_service": info, "arrival_time": info,
                                      "statement": info, "iban": info}),
                           ("/appeal", {"objection": objection}),
                           ("/survey", {"score": score, "comment": comment})):
        _post(client, status_url, status_url + suffix, fields)
    # Whatever was sent, the claim is still there and still decided.
    page = client.get(status_url)
    assert page.status_code == 200
