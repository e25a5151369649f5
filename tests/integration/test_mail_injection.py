"""No text from outside breaks out of its place in our e-mails (issue "Privacy and hostile
input"): a name that carried a line break and a link read as our own words ("Hello
customer, your payout failed. Confirm your card at https://evil.example"). The forms and
the imports refuse such texts with a message; the composer keeps any stored text in its
place all the same."""

from __future__ import annotations

import email
import email.policy
import io
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from claims.core.plain_text import CONTROLS
from claims.core.vocabulary import ClaimStatus, NoticeKind
from claims.db.models import Claim
from claims.operators.imports import import_bookings
from claims.processing.notices import Notice
from claims.processing.proactive import Invitation
from common.settings import load_settings
from tests.helpers import create_operator, csrf_token, load, look_up, mails, run_worker
from tests.records import DAY, arrival, rail_booking
from workflows.mail import compose, compose_invitation

PHISHING = ("Hello customer, your payout failed.\r\nConfirm your card at "
            "https://evil.example/pay\r\nBcc: victim@example.org")
# What starts a line or turns text around: each one is enough.
BREAKERS = st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1e", "\x85",
                            "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\x00",
                            "\x1b", "\t"])
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                    max_size=40)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
# A text with at least one breaker somewhere in it (never blank: a blank name is refused
# as "enter your name", a different message).
HOSTILE = st.one_of(st.just(PHISHING), st.builds(
    lambda before, breaker, after: f"N{before}{breaker}{after}", PRINTABLE, BREAKERS,
    PRINTABLE))
# A name that reads as a link or an address, on one line.
LINKISH = st.builds(lambda before, mark, after: f"N{before}{mark}{after}",
                    PRINTABLE, st.sampled_from(["https://", "://", "@"]), PRINTABLE)
ONE_EXAMPLE_EACH = settings(max_examples=25, deadline=None, derandomize=True,
                            suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])
_CONTROL = re.compile(f"[{CONTROLS}]")


def _claims(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Claim)) or 0)


def _manual(client: Any, **changes: str) -> Any:
    token = csrf_token(client.get("/manual").get_data(as_text=True))
    data: dict[str, Any] = {
        "csrf_token": token, "operator": "test-rail", "service": "RE 4711",
        "origin": "Köln Hbf", "destination": "Bonn Hbf", "travel_date": DAY,
        "scheduled_arrival": "13:42", "price": "12.40", "passenger_name": "Jana Nowak",
        "passenger_email": "victim@example.org", "payout": "voucher",
        "ticket": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "ticket.pdf"), **changes}
    return client.post("/manual", data=data, content_type="multipart/form-data")


def test_the_reported_phishing_name_gets_no_receipt(app: Flask) -> None:
    """As reported: anonymous /manual, a name with line breaks and a link, any address."""
    create_operator(app)
    client = app.test_client()
    refused = _manual(client, passenger_name=PHISHING)
    assert refused.status_code == 422
    assert "Use one line, without line breaks or control characters." in \
        refused.get_data(as_text=True)
    one_line_link = _manual(client, passenger_name="Confirm your card at https://evil.example")
    assert one_line_link.status_code == 422
    assert "A name cannot contain a web address or an e-mail address." in \
        one_line_link.get_data(as_text=True)
    client.get("/language/de")
    german = _manual(client, passenger_name=PHISHING).get_data(as_text=True)
    assert "Bitte in einer Zeile, ohne Zeilenumbrüche oder Steuerzeichen." in german
    run_worker(app)
    assert _claims(app) == 0 and mails(app) == []


@pytest.fixture
def booked(app: Flask) -> Flask:
    create_operator(app)
    load(app, [rail_booking(payment=None)], [arrival()])
    return app


@ONE_EXAMPLE_EACH
@given(name=st.one_of(HOSTILE, LINKISH), field=st.sampled_from(["passenger_name",
                                                                 "account_holder"]))
def test_a_name_that_would_break_out_is_refused_wherever_it_is_typed(
        booked: Flask, name: str, field: str) -> None:
    client = booked.test_client()
    look_up(client, "Q7K2LM", "Mustermann")
    page = client.get("/claim").get_data(as_text=True)
    fields = {"passenger_name": "Erika Mustermann", "payout": "iban",
              "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Erika Mustermann",
              "journeys": "outbound", field: name}
    for response in (
            client.post("/claim", data={"csrf_token": csrf_token(page), **fields},
                        headers={"Accept-Language": "de"}),
            _manual(client, **{"payout": "iban", "iban": "DE89 3704 0044 0532 0130 00",
                               "account_holder": "Jana Nowak", field: name})):
        assert response.status_code == 422, name
        text = response.get_data(as_text=True)
        assert "Use one line" in text or "Bitte in einer Zeile" in text or \
            "cannot contain a web address" in text or "keine Web- oder E-Mail-Adresse" in text
    assert _claims(booked) == 0


@ONE_EXAMPLE_EACH
@given(name=st.one_of(HOSTILE, LINKISH))
def test_an_imported_name_that_would_break_out_is_a_rejected_line(
        booked: Flask, name: str) -> None:
    factory = booked.extensions["effortless"].session_factory
    report = import_bookings(factory, enumerate([
        rail_booking("NAME01", passenger={"name": name}),
        rail_booking("NAME02", payment={"iban": "DE02120300000000202051", "holder": name}),
        rail_booking("NAME03")], start=1))
    assert [line for line, _ in report.rejected] == [1, 2]
    assert report.rejected[0][1].startswith("passenger.name: ")
    assert report.rejected[1][1].startswith("payment.holder: ")
    assert report.created + report.replaced == 1


def test_the_reasons_say_what_is_wrong(app: Flask) -> None:
    create_operator(app)
    report = import_bookings(app.extensions["effortless"].session_factory, enumerate([
        rail_booking("NAME01", passenger={"name": "Erika\r\nMustermann"}),
        rail_booking("NAME02", passenger={"name": "Erika https://evil.example"}),
        rail_booking("NAME03", passenger={"name": "E" * 101})], start=1))
    assert report.rejected == [
        (1, "passenger.name: one line, without line breaks, control characters or "
            "direction marks"),
        (2, "passenger.name: a person's name, without '://' or '@'"),
        (3, "passenger.name: longer than 100 characters")]


SETTINGS = load_settings({"PUBLIC_URL": "https://claims.example"})


def _notice(kind: NoticeKind, language: str, **texts: Any) -> Notice:
    plain = Notice(claim_id=1, kind=kind, language=language, email="anna@example.org",
                   name="Anna Koch", operator="Test Rail", reference="AAAA01",
                   status=ClaimStatus.REJECTED if kind == NoticeKind.DECISION
                   else ClaimStatus.APPROVED, amount=Decimal("19.75"), currency="EUR",
                   explanation="Arrived 65 minutes late.",
                   legal_basis="Regulation (EU) 2021/782, Art. 19(1)(a)",
                   payout_method="iban", iban_end="3000")
    return replace(plain, **texts)


def _parsed(message: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(bytes(message), policy=email.policy.default)  # type: ignore[return-value]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(kind=st.sampled_from(list(NoticeKind)), language=st.sampled_from(["en", "de"]),
       name=st.one_of(HOSTILE, LINKISH, ANY_TEXT), operator=st.one_of(HOSTILE, ANY_TEXT),
       reference=st.one_of(st.none(), HOSTILE, ANY_TEXT),
       explanation=st.one_of(st.none(), HOSTILE, ANY_TEXT))
def test_no_text_breaks_out_of_its_place_in_any_mail(
        kind: NoticeKind, language: str, name: str, operator: str, reference: str | None,
        explanation: str | None) -> None:
    """Whatever was stored: the same headers, no control character in the body but its
    line breaks (and a free text's tabs), one-line texts add no line, and a name never
    brings a link or an address into it."""
    plain = _parsed(compose(_notice(kind, language), SETTINGS, "token"))
    hostile = _notice(kind, language, name=name, operator=operator, reference=reference,
                      explanation=explanation)
    message = _parsed(compose(hostile, SETTINGS, "token"))
    assert message.keys() == plain.keys()
    assert (message["To"], message["Subject"]) == (plain["To"], plain["Subject"])
    body = message.get_content()
    assert _CONTROL.search(body.replace("\n", "").replace("\t", "")) is None
    # The same explanation (a free text keeps its lines) with plain one-line texts.
    explained = _parsed(compose(replace(hostile, name="Anna Koch", operator="Test Rail",
                                        reference="AAAA01"), SETTINGS, "token")).get_content()
    assert body.count("\n") == explained.count("\n")
    greeting = body.split("\n")[0]
    assert greeting in ("Hello,", "Guten Tag,") or \
        ("://" not in greeting and "@" not in greeting and greeting.endswith(","))
    unnamed = _parsed(compose(replace(hostile, name="Anna Koch"), SETTINGS,
                              "token")).get_content()
    assert body.count("://") == unnamed.count("://")
    assert body.count("@") == unnamed.count("@")


@settings(max_examples=50, deadline=None, derandomize=True)
@given(name=st.one_of(HOSTILE, LINKISH), language=st.sampled_from(["en", "de"]))
def test_an_invitation_keeps_the_name_in_its_place(name: str, language: str) -> None:
    invitation = Invitation(booking_id=1, direction="outbound", email="anna@example.org",
                            name=name, language=language, operator="Test Rail",
                            reference="AAAA01")
    body = _parsed(compose_invitation(invitation, SETTINGS)).get_content()
    plain = _parsed(compose_invitation(replace(invitation, name="Anna Koch"),
                                       SETTINGS)).get_content()
    assert body.count("\n") == plain.count("\n")
    greeting = body.split("\n")[0]
    assert greeting in ("Hello,", "Guten Tag,") or \
        ("://" not in greeting and "@" not in greeting and greeting.endswith(","))
    assert body.count("://") == plain.count("://")
    assert _CONTROL.search(body.replace("\n", "")) is None


def test_a_header_cannot_be_injected_through_the_address() -> None:
    """The library's header registry refuses a line break in a header value: an address
    that slipped through every check stops the message rather than adding a header."""
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose(replace(_notice(NoticeKind.RECEIPT, "en"),
                        email="a@example.org\r\nBcc: x@evil.example"), SETTINGS, "token")
