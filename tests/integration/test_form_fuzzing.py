"""Hypothesis over the passenger's and the clerk's forms and the JSON API (issue 14, and
"Privacy and hostile input"): whatever is typed, pasted or forged into any field (numbers
past any limit, deep nesting, control characters, huge texts), the answer is a 4xx with a
message (a page in the passenger's language, the API's errors by field), never a 500; a
refused request saves nothing, and what was saved before stays."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from claims.db.models import Booking, Claim
from claims.operators import accounts
from portal import create_app
from tests.helpers import (
    create_operator,
    csrf_token,
    load,
    look_up,
    mail_bodies,
    run_worker,
    sign_in,
    status_links_in,
    submit,
)
from tests.records import arrival, rail_booking

# Anything a browser can send: every character but lone surrogates (not encodable).
TYPED = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
FIELD_VALUE = st.one_of(TYPED, st.sampled_from([
    "", " ", "0", "-1", "49,90", "1e9", "NaN", "Infinity", "29.02.2026", "2026-02-30", "25:61",
    "DE89 3704 0044 0532 0130 00", "=HYPERLINK(\"x\")", "<script>alert(1)</script>",
    "\x00", "ä" * 3000, "outbound", "return", "account", "iban", "voucher",
    # Numbers past every limit: Decimal("1e999") is finite, and quantize raised on it.
    "1e999", "-1e999", "-Infinity", "-0", "-0,00", "1" * 30, "9" * 5000, "0.001", "1e-999",
    # What breaks a line or turns text around, alone and inside a name.
    "\r\n", "\u2028", "\u202e", "Erika\r\nBcc: x@evil.example", "Erika https://evil.example",
    "x" * 100_000]))
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
    page = client.get("/claim").get_data(as_text=True)
    # Filed by an earlier example: the claim page's button to its status page.
    status_url = client.post("/claim/outbound/status", data={
        "csrf_token": csrf_token(page)}).location if "claimed for this journey" in page \
        else submit(client).location
    run_worker(booked)
    for suffix, fields in (("/info", {"arrived_with_service": info, "arrival_time": info,
                                      "statement": info, "iban": info}),
                           ("/appeal", {"objection": objection}),
                           ("/survey", {"score": score, "comment": comment})):
        _post(client, status_url, status_url + suffix, fields)
    # Whatever was sent, the claim is still there and still decided.
    page = client.get(status_url)
    assert page.status_code == 200


# JSON tokens that Python's parser chokes on or takes where JSON does not (NaN), and
# values past every limit, put in the place of one field of a valid request.
NESTED = "[" * 10_000 + "]" * 10_000
JSON_TOKENS = st.sampled_from([
    "1e999", "NaN", "Infinity", "-Infinity", "-0", "1" * 30, "9" * 5000, "-" + "9" * 5000,
    NESTED, '{"a":' * 10_000 + "1" + "}" * 10_000, '"1e999"', '"NaN"', '"-0"',
    f'"{"1" * 30}"', f'"{"9" * 5000}"', '"\\u202e"', '"\\ud800"', '"a\\r\\nb"',
    '" Stuttgart Hbf "', '"\\u2028"', json.dumps("x" * 100_000), "null", "true", "[]", "{}"])
RAW_BODIES = st.sampled_from([
    NESTED, "9" * 5000, "NaN", "[NaN]", "[" + "9" * 5000 + "]", "\ufeff[]", "[1e999]",
    '{"a": 1}\n' + NESTED, "\u2028", '"x"'])
PLACE = "__fuzzed__"


def _with_token(record: dict[str, Any], path: tuple[str | int, ...], token: str) -> str:
    """The record as JSON, with the raw token where `path` leads."""
    copied = json.loads(json.dumps(record))
    target: Any = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = PLACE
    return json.dumps(copied).replace(json.dumps(PLACE), token)


ASSESSMENT = {"regime": "eu-rail", "scheduled_arrival": "2026-03-02T11:44:00+01:00",
              "actual_arrival": "2026-03-02T12:49:00+01:00",
              "fare": {"amount": "39.90", "currency": "EUR", "kind": "return"}}
ASSESSMENT_PATHS: list[tuple[str | int, ...]] = [
    ("regime",), ("scheduled_arrival",), ("actual_arrival",), ("fare",), ("fare", "amount"),
    ("fare", "currency"), ("fare", "kind"), ("leg_amount",), ("minimum_payout",),
    ("cancelled",), ("cancellation_notice_days",), ("origin",), ("destination",),
    ("scheduled_departure",), ("rerouted_departure",), ("rerouted_arrival",), ("carrier_eu",),
    ("cause",), ("scheme",), ("informed_before_purchase",)]


def _said_in_both_languages(send: Any, reasons: Any) -> None:
    """The same request refused in English and in German: the same fields, and no reason
    left in English in the German answer."""
    english, german = reasons(send("en")), reasons(send("de"))
    assert english.keys() == german.keys(), (english, german)
    for key, said in english.items():
        assert said != german[key], (key, said)


@FUZZ
@given(path=st.sampled_from(ASSESSMENT_PATHS), token=JSON_TOKENS)
def test_the_assessment_api_refuses_anything_with_a_reason(
        app: Flask, path: tuple[str, ...], token: str) -> None:
    for body in (_with_token(ASSESSMENT, path, token), token):
        def send(language: str, body: str = body) -> Any:
            return app.test_client().post(
                "/api/v1/assessments", data=body, content_type="application/json",
                headers={"Accept-Language": language})
        response = send("en")
        assert response.status_code in (200, 422), (path, token[:40], response.status_code)
        if response.status_code == 422:
            assert response.json and response.json["errors"]
            _said_in_both_languages(send, lambda answer: answer.json["errors"])


@pytest.fixture
def operator_key(booked: Flask) -> str:
    return accounts.create_operator(booked.extensions["effortless"].session_factory,
                                    "fuzz-rail", "Fuzz Rail", "eu-rail")


BOOKING_PATHS: list[tuple[str | int, ...]] = [
    ("reference",), ("passenger", "name"), ("passenger", "email"), ("fare", "amount"),
    ("fare", "kind"), ("payment", "holder"), ("payment", "iban"), ("legs", 0, "service"),
    ("legs", 0, "origin"), ("legs", 0, "scheduled_departure"), ("legs", 0, "leg_amount"),
    ("legs",), ("passenger",), ("operator",), ("regime",), ("passenger", "language"),
    ("fare", "currency"), ("fare", "valid_from"), ("legs", 0, "destination"),
    ("legs", 0, "scheduled_arrival"), ("legs", 0, "service_date"), ("payment",), ("scheme",),
    ("carrier_eu",)]
OPERATIONS_PATHS: list[tuple[str | int, ...]] = [
    ("stop",), ("service",), ("date",), ("actual_arrival",), ("notice_days",), ("cause",),
    ("cancelled",), ("scheduled_arrival",), ("operator",), ("rerouted_departure",),
    ("rerouted_arrival",)]


def _bookings_kept(app: Flask) -> None:
    """Hans Müller's booking, imported before: still there, unchanged."""
    with app.extensions["effortless"].session_factory() as session:
        names = list(session.scalars(select(Booking.passenger_name).where(
            Booking.reference == "Q7K2LM")))
    assert names == ["Hans Müller"]


@FUZZ
@given(what=st.sampled_from(["bookings", "operations"]), index=st.integers(0, 30),
       token=JSON_TOKENS, raw=RAW_BODIES, lines=st.booleans())
def test_the_import_api_refuses_a_line_with_a_reason_and_keeps_the_rest(
        booked: Flask, operator_key: str, what: str, index: int, token: str, raw: str,
        lines: bool) -> None:
    record = rail_booking("FUZZ01", operator="fuzz-rail") if what == "bookings" else \
        arrival(operator="fuzz-rail")
    paths = BOOKING_PATHS if what == "bookings" else OPERATIONS_PATHS
    fuzzed = _with_token(record, paths[index % len(paths)], token)
    bodies = [f"{json.dumps(record)}\n{fuzzed}" if lines else f"[{json.dumps(record)},{fuzzed}]",
              raw]
    client = booked.test_client()
    for body in bodies:
        def send(language: str, body: str = body) -> Any:
            return client.post(f"/api/v1/{what}", data=body.encode("utf-8", "surrogatepass"),
                               headers={"Authorization": f"Bearer {operator_key}",
                                        "Accept-Language": language})
        response = send("de")
        assert response.status_code in (200, 400, 422), (body[:80], response.status_code)
        answer = response.get_json()
        assert answer and ("rejected" in answer or "message" in answer), answer
        if response.status_code == 422:
            assert all(rejected["reason"] for rejected in answer["rejected"])
            _said_in_both_languages(send, lambda answer: {
                r["line"]: r["reason"] for r in answer.get_json()["rejected"]})
        elif response.status_code == 400:
            _said_in_both_languages(send, lambda answer: {"": answer.get_json()["message"]})
    _bookings_kept(booked)


@pytest.fixture
def metrics_app(settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({**settings_overrides, "METRICS_TOKEN": "the-scrapers-token"})
    yield app
    app.extensions["effortless"].close()


# A header as HTTP carries it: Latin-1 text (WSGI decodes it so), no line break.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)


@FUZZ
@given(scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", "", "Bearer  "]),
       token=st.one_of(HEADER_TEXT, st.sampled_from(["ä", "the-scrapers-tokenä", "\xff" * 50,
                                                      "the-scrapers-token\xa0"])))
def test_metrics_answers_its_token_and_refuses_any_other_authorization(
        metrics_app: Flask, scheme: str, token: str) -> None:
    response = metrics_app.test_client().get(
        "/metrics", headers={"Authorization": (scheme + token).encode("latin-1")
                             .decode("latin-1")})
    mine = scheme.strip().lower() == "bearer" and token.strip() == "the-scrapers-token"
    assert response.status_code == (200 if mine else 401), (scheme, token)


@pytest.fixture
def offered(booked: Flask) -> tuple[Flask, str]:
    """An offer without an account on file: the page asks how to pay."""
    key = accounts.create_operator(booked.extensions["effortless"].session_factory,
                                   "offer-rail", "Offer Rail", "eu-rail")
    accounts.configure_operator(booked.extensions["effortless"].session_factory, "offer-rail",
                                proactive_mode="offer")
    load(booked, [rail_booking("OFFER1", operator="offer-rail", payment=None)])
    booked.test_client().post("/api/v1/operations", data=json.dumps(
        arrival(operator="offer-rail")), headers={"Authorization": f"Bearer {key}"})
    run_worker(booked)
    [link] = [link for body in mail_bodies(booked) for link in status_links_in(body)
              if "offer" in body.lower()][-1:]
    return booked, link


@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={
    name: FIELD_VALUE for name in ("payout", "iban", "account_holder")}))
def test_the_offer_page_takes_anything(offered: tuple[Flask, str],
                                       fields: dict[str, str]) -> None:
    app, link = offered
    response = _post(app.test_client(), link, link + "/accept", fields)
    if response.status_code == 422:
        with app.extensions["effortless"].session_factory() as session:
            statuses = set(session.scalars(select(Claim.status).where(
                Claim.origin == "proactive")))
        assert statuses <= {"offered", "approved", "needs_review"}


@pytest.fixture
def clerk_on_a_claim(booked: Flask) -> tuple[FlaskClient, str]:
    """A clerk signed in, and a claim for them (the passenger said it was otherwise)."""
    passenger = booked.test_client()
    look_up(passenger, "Q7K2LM", "Müller")
    submit(passenger, statement="It was later")
    run_worker(booked)
    accounts.create_user(booked.extensions["effortless"].session_factory,
                         "clerk@example.org", "clerk", "a-long-password")
    clerk = booked.test_client()
    sign_in(clerk, "clerk@example.org", "a-long-password")
    with booked.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    return clerk, f"/clerk/claims/{claim_id}"


@FUZZ
@given(amount=FIELD_VALUE, note=FIELD_VALUE, reason=FIELD_VALUE, explanation=FIELD_VALUE)
def test_the_clerk_forms_take_anything(booked: Flask, clerk_on_a_claim: tuple[FlaskClient, str],
                                       amount: str, note: str, reason: str,
                                       explanation: str) -> None:
    clerk, page = clerk_on_a_claim
    for action, fields in (("/approve", {"amount": amount, "note": note}),
                           ("/reject", {"reason": reason, "explanation": explanation}),
                           ("/request-info", {"items": reason})):
        _post(clerk, page, page + action, fields)
    assert clerk.get(page).status_code in (200, 302)


EXTREME_NUMBERS = ["1e999", "-1e999", "1" * 30, "9" * 5000, "NaN", "-Infinity", "-0",
                   "0.001", "1e-999"]


@pytest.mark.parametrize("number", EXTREME_NUMBERS)
def test_an_extreme_amount_is_refused_in_the_pages_language(
        booked: Flask, clerk_on_a_claim: tuple[FlaskClient, str], number: str) -> None:
    """As reported: /manual's price of "1e999" or thirty digits was a 500; the clerk's
    amount shares the field."""
    passenger = booked.test_client()
    passenger.get("/language/de")
    refused = _post(passenger, "/manual", "/manual", {
        "operator": "test-rail", "service": "RE 4711", "origin": "Köln Hbf",
        "destination": "Bonn Hbf", "travel_date": "2026-03-02", "scheduled_arrival": "13:42",
        "price": number, "passenger_name": "Jana Nowak", "payout": "voucher"})
    assert refused.status_code == 422
    assert "Geben Sie den Preis an, zum Beispiel 59,90." in refused.get_data(as_text=True)
    clerk, page = clerk_on_a_claim
    approve = _post(clerk, page, page + "/approve", {"amount": number})
    assert approve.status_code == 422
    response = booked.test_client().post("/api/v1/assessments", json={
        **ASSESSMENT, "fare": {**ASSESSMENT["fare"], "amount": number}})  # type: ignore[dict-item]
    assert response.status_code == 422 and list(response.json["errors"]) == ["fare.amount"]
