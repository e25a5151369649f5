"""A clerk's own question and a file asked for, the answer kept as data, the rules run
again with an answer they read (arrival, price), and the objection with a file: each seen
from both sides, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from claims.clerks import decisions
from claims.db.models import Booking, Claim, ClaimDocument, InfoRequest, User
from claims.operators import accounts
from claims.passengers import filing
from claims.processing import erasure
from claims.processing.assessment import assess_claims
from tests.helpers import (
    DECISION_DE,
    create_operator,
    csrf_token,
    hidden_fields,
    load,
    mails,
    run_worker,
    sign_in,
    status_path,
    stored_claim,
)
from tests.records import DAY, arrival, rail_booking

PASSWORD = "a-long-password"
PDF = b"%PDF-1.4\n% a ticket\n"
GERMAN_TIME_ERROR = "Geben Sie Ihre Ankunftszeit an, zum Beispiel 13:42."
TOO_LARGE = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 10)  # over 5 MB, under the 6 MB cap


@pytest.fixture
def clerk_id(app: Flask) -> int:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    with factory() as session:
        return session.scalars(select(User.id).where(User.email == "clerk@example.org")).one()


def _claim_in_review(app: Flask, *, actual: str | None, statement: str | None) -> int:
    """Erika's journey (scheduled at Stuttgart 11:44, fare 79.00 EUR), sent to a clerk."""
    create_operator(app)
    load(app, [rail_booking("INFO01")], [arrival(actual=actual)] if actual else [])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    claim_id = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Erika Mustermann", passenger_email="erika@example.org",
        arrived_with_service=None, statement=statement, language="de"), effort={}).claim_id
    assess_claims(factory, [claim_id])
    assert stored_claim(app, claim_id).status == "needs_review"
    return claim_id


def _documents(app: Flask, claim_id: int) -> list[tuple[str, int]]:
    with app.extensions["effortless"].session_factory() as session:
        return [(d.kind, d.size) for d in session.scalars(
            select(ClaimDocument).where(ClaimDocument.claim_id == claim_id))]


def _request(app: Flask, claim_id: int) -> InfoRequest:
    with app.extensions["effortless"].session_factory() as session:
        request = session.scalars(select(InfoRequest).where(
            InfoRequest.claim_id == claim_id).order_by(InfoRequest.id.desc())).first()
        assert request is not None
        session.expunge(request)
        return request


def _send(client: FlaskClient, page: str, url: str, headers: dict[str, str] | None = None,
          **data: Any) -> Any:
    """A form sent as a browser sends it from `page` (HTML): its CSRF token and hidden
    fields (a kept file's token among them), and what was typed or attached. Encoded in
    memory: the test client would spool a large upload to a file it never closes."""
    fields = {**hidden_fields(page), "csrf_token": csrf_token(page), **data}
    for name, value in fields.items():
        if isinstance(value, tuple):
            fields[name] = FileStorage(stream=value[0], filename=value[1])
    boundary, body = encode_multipart(fields)
    with client.post(url, data=body, headers=headers or {},
                     content_type=f"multipart/form-data; boundary={boundary}") as response:
        response.get_data()
        return response


def _form_action(page: str, form_id_part: str) -> str:
    actions = re.findall(r'<form method="post" action="([^"]+)"', page)
    [found] = [action for action in actions if action.endswith(form_id_part)]
    return found


def _ask(app: Flask, clerk_id: int, claim_id: int, items: list[str], question: str = "") -> str:
    decisions.request_info(app.extensions["effortless"].session_factory, claim_id, clerk_id,
                           items, question)
    return status_path(app, claim_id)


def test_a_free_question_is_answered_with_text_and_a_file(app: Flask, clerk_id: int) -> None:
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:58:00+01:00",
                                statement="Ich hatte ein anderes Ticket")
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    url = f"/clerk/claims/{claim_id}"
    page = clerk.get(url).get_data(as_text=True)
    # Neither an item nor a question: the clerk's page again, posting to the same place.
    empty = _send(clerk, page, url + "/request-info")
    assert empty.status_code == 422
    assert "Choose at least one item or write your question." in empty.get_data(as_text=True)
    assert _form_action(empty.get_data(as_text=True), "/request-info") == url + "/request-info"
    _send(clerk, page, url + "/request-info", items="document",
          question="Welche Fahrkarte hatten Sie, und wo haben Sie sie gekauft?")
    assert (stored_claim(app, claim_id).status, stored_claim(app, claim_id).requested_info) == (
        "info_requested", "question document")

    passenger = app.test_client()
    status_url = _ask_link = status_path(app, claim_id)
    page = passenger.get(status_url).get_data(as_text=True)
    assert "Welche Fahrkarte hatten Sie, und wo haben Sie sie gekauft?" in page
    assert 'name="answer"' in page and 'name="document"' in page
    assert 'name="arrival_time"' not in page and 'enctype="multipart/form-data"' in page
    _send(passenger, page, _ask_link + "/info", answer="Ein Sparpreis, am Automaten",
          document=(io.BytesIO(PDF), "fahrkarte.pdf"))

    claim = stored_claim(app, claim_id)
    request = _request(app, claim_id)
    assert (claim.status, claim.requested_info, claim.statement) == (
        "needs_review", None, "Ich hatte ein anderes Ticket")  # no sentence appended
    assert (request.answer, request.rerun, request.document_id is not None) == (
        "Ein Sparpreis, am Automaten", False, True)
    assert _documents(app, claim_id) == [("answer", len(PDF))]
    file_page = clerk.get(url).get_data(as_text=True)
    assert "Ein Sparpreis, am Automaten" in file_page
    link = f"/clerk/claims/{claim_id}/documents/{request.document_id}"
    assert link in file_page
    with clerk.get(link) as served:
        assert served.get_data() == PDF
    german = clerk.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Frage" in german and "Die Datei, die die Fahrgastperson angehängt hat" in german
    with passenger.get(_ask_link + "/data.json") as exported:
        [given] = exported.get_json()["answers"]
    assert (given["question"], given["answer"]) == (
        "Welche Fahrkarte hatten Sie, und wo haben Sie sie gekauft?",
        "Ein Sparpreis, am Automaten")

    # Erased on request once closed: the words and the file go, the facts stay.
    factory = app.extensions["effortless"].session_factory
    decisions.reject(factory, claim_id, clerk_id, reason="no-evidence")
    erasure.erase_on_request(factory, claim_id, staff_id=clerk_id)
    request = _request(app, claim_id)
    assert (request.question, request.answer, request.document_id) == (None, None, None)
    assert _documents(app, claim_id) == []


def test_an_arrival_answer_runs_the_rules_again_and_the_clerk_sees_both_outcomes(
        app: Flask, clerk_id: int) -> None:
    # 45 minutes by the operations data: not eligible; the passenger says otherwise.
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:29:00+01:00",
                                statement="Wir kamen viel später an")
    first = stored_claim(app, claim_id)
    assert (first.eligible, first.delay_minutes) == (False, 45)
    status_url = _ask(app, clerk_id, claim_id, ["arrival_time"])
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    assert passenger.post(status_url + "/info", data={
        **hidden_fields(page), "csrf_token": csrf_token(page),
        "arrival_time": "12:50"}).status_code == 302
    assert stored_claim(app, claim_id).status == "submitted"  # back to the rules, queued
    run_worker(app)

    claim = stored_claim(app, claim_id)
    # The statement still asks for a person: no clear approval, the clerk decides.
    assert (claim.status, claim.eligible, claim.delay_minutes, claim.percent,
            str(claim.amount)) == ("needs_review", True, 66, 25, "19.75")
    assert "passenger-answered" in (claim.reason_codes or [])
    # A cohort's cause, confirmed from the operations data, never overrules the answer.
    members = decisions.cohort_claims(app.extensions["effortless"].session_factory,
                                      "test-rail", "IC 2013", date.fromisoformat(DAY))
    assert (members.together, [held for held, _why in members.held]) == ((), [claim_id])
    request = _request(app, claim_id)
    assert (request.rerun, request.before_eligible, request.before_delay_minutes) == (
        True, False, 45)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    before = re.search(r'id="outcome-before">([^<]*)<', page)
    now = re.search(r'id="outcome-now"><strong>([^<]*)<', page)
    assert before and before.group(1) == "not eligible, 45 min late"
    assert now and now.group(1) == "eligible, 66 min late, 25 %, 19.75 EUR"
    assert "the passenger answered: the rules ran again" in page
    german = clerk.get(f"/clerk/claims/{claim_id}",
                       headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "kein Anspruch, 45 Min. Verspätung" in german
    # The clerk approves it as any claim: the rules' amount needs no reason.
    sign_in(clerk, "clerk@example.org", PASSWORD)
    decisions.approve(app.extensions["effortless"].session_factory, claim_id, clerk_id,
                      amount=claim.amount or 0)
    assert stored_claim(app, claim_id).status == "approved"


def test_an_answer_that_makes_the_claim_clear_is_approved_as_any_clear_claim(
        app: Flask, clerk_id: int) -> None:
    """No operations data for the train, nothing else in doubt: with the arrival
    the passenger gives, the rules and the policy (limits, twins) approve it alone."""
    claim_id = _claim_in_review(app, actual=None, statement=None)
    assert stored_claim(app, claim_id).reason_codes == ["no-operations-data"]
    status_url = _ask(app, clerk_id, claim_id, ["arrival_time"])
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    _send(passenger, page, status_url + "/info", arrival_time="13:10")
    run_worker(app)
    claim = stored_claim(app, claim_id)
    assert (claim.status, claim.delay_minutes, str(claim.amount), claim.reason_codes) == (
        "approved", 86, "19.75", None)
    assert ("erika@example.org", DECISION_DE) in mails(app)


def test_an_answer_over_the_limit_goes_to_a_clerk(app: Flask, clerk_id: int) -> None:
    """The same clear case, the operator's limit below its amount: the one policy
    (persons_needed) sends it to a person."""
    claim_id = _claim_in_review(app, actual=None, statement=None)
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.operator.auto_approve_limit = Decimal("10.00")
        claim.operator.second_approval_above = Decimal("10.00")
    status_url = _ask(app, clerk_id, claim_id, ["arrival_time"])
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    _send(passenger, page, status_url + "/info", arrival_time="13:10")
    run_worker(app)
    claim = stored_claim(app, claim_id)
    assert claim.status == "needs_review"
    assert {"amount-over-limit", "passenger-answered"} <= set(claim.reason_codes or [])


def test_an_invalid_answer_keeps_what_was_typed_and_posts_to_itself(
        app: Flask, clerk_id: int) -> None:
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:29:00+01:00", statement="Später")
    status_url = _ask(app, clerk_id, claim_id, ["arrival_time", "question", "document"],
                      "Haben Sie einen Beleg?")
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)

    bad = _send(passenger, page, status_url + "/info", arrival_time="25:99",
                answer="Ja, anbei", document=(io.BytesIO(TOO_LARGE), "gross.pdf"))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Enter the time you arrived, such as 13:42." in text
    assert "The file is too large: at most 5 MB, please." in text
    assert 'value="25:99"' in text and "Ja, anbei" in text
    assert _form_action(text, "/info") == status_url + "/info"
    assert stored_claim(app, claim_id).status == "info_requested" and not _documents(app, claim_id)
    # Over what a request may carry at all: refused before the form is read, never a 500.
    huge = _send(passenger, page, status_url + "/info", arrival_time="12:50", answer="Ja",
                 document=(io.BytesIO(TOO_LARGE + b"0" * (2 * 1024 * 1024)), "huge.pdf"))
    assert huge.status_code == 413 and "at most 5 MB" in huge.get_data(as_text=True)
    assert stored_claim(app, claim_id).status == "info_requested"

    # A good file with a bad time: the file is kept, not attached again.
    kept = _send(passenger, text, status_url + "/info", arrival_time="zehn vor eins",
                 answer="Ja, anbei", document=(io.BytesIO(PDF), "beleg.pdf"))
    text = kept.get_data(as_text=True)
    assert kept.status_code == 422 and "We have kept the file you attached" in text
    assert hidden_fields(text)["kept_document"]
    german = passenger.post(status_url + "/info", data={
        **hidden_fields(text), "csrf_token": csrf_token(text), "arrival_time": "",
        "answer": "Ja"}, headers={"Accept-Language": "de"})
    assert german.status_code == 422
    assert GERMAN_TIME_ERROR in german.get_data(as_text=True)
    assert stored_claim(app, claim_id).status == "info_requested"
    done = _send(passenger, text, status_url + "/info", arrival_time="12:50",
                 answer="Ja, anbei")
    assert done.status_code == 302
    assert _documents(app, claim_id) == [("answer", len(PDF))]
    assert _request(app, claim_id).answer == "Ja, anbei"


def test_the_objection_takes_a_file(app: Flask, clerk_id: int) -> None:
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:29:00+01:00", statement="Später")
    factory = app.extensions["effortless"].session_factory
    decisions.reject(factory, claim_id, clerk_id, reason="no-evidence")
    status_url = status_path(app, claim_id)
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    assert 'name="document"' in page and "Object to the decision" in page

    wrong = _send(passenger, page, status_url + "/appeal", objection="Hier mein Ticket",
                  document=(io.BytesIO(b"GIF89a not a ticket"), "ticket.gif"))
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Upload a PDF, JPEG or PNG file." in text
    assert "Hier mein Ticket" in text
    assert _form_action(text, "/appeal") == status_url + "/appeal"
    assert stored_claim(app, claim_id).status == "rejected"
    german = _send(passenger, text, status_url + "/appeal", objection="",
                   headers={"Accept-Language": "de"})
    assert german.status_code == 422  # the objection itself missing, in German
    assert "Der Entscheidung widersprechen" in german.get_data(as_text=True)

    _send(passenger, text, status_url + "/appeal", objection="Hier mein Ticket",
          document=(io.BytesIO(PDF), "ticket.pdf"))
    claim = stored_claim(app, claim_id)
    assert (claim.status, claim.reason_codes, claim.appeal_text) == (
        "needs_review", ["appeal"], "Hier mein Ticket")
    assert _documents(app, claim_id) == [("objection", len(PDF))]
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    german = clerk.get(f"/clerk/claims/{claim_id}", headers={"Accept-Language": "de"})
    assert "mit dem Widerspruch gesandte Datei öffnen</a>" in german.get_data(as_text=True)


def test_a_price_answer_prices_the_claim_again(app: Flask, clerk_id: int) -> None:
    """74 minutes late on a 79.00 EUR fare: 19.75 EUR; the passenger paid 59.90 EUR
    (typed the German way), and the rules price it again at 14.98 EUR."""
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:58:00+01:00",
                                statement="Ich hatte einen Sparpreis")
    status_url = _ask(app, clerk_id, claim_id, ["price"])
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    assert "In EUR, as on your ticket." in page
    bad = _send(passenger, page, status_url + "/info", price="neunundfünfzig")
    assert bad.status_code == 422 and 'value="neunundfünfzig"' in bad.get_data(as_text=True)
    _send(passenger, page, status_url + "/info", price="59,90")
    run_worker(app)
    claim = stored_claim(app, claim_id)
    request = _request(app, claim_id)
    assert (str(request.price), str(request.before_amount), str(claim.amount),
            claim.status) == ("59.90", "19.75", "14.98", "needs_review")


def test_a_file_asked_for_alone_must_come(app: Flask, clerk_id: int) -> None:
    claim_id = _claim_in_review(app, actual=f"{DAY}T12:58:00+01:00", statement="Später")
    status_url = _ask(app, clerk_id, claim_id, ["document"])
    passenger = app.test_client()
    page = passenger.get(status_url).get_data(as_text=True)
    missing = _send(passenger, page, status_url + "/info", headers={"Accept-Language": "de"})
    assert missing.status_code == 422
    assert "Bitte hängen Sie ein Foto oder PDF an." in missing.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    assert _send(passenger, page, status_url + "/info",
                 document=(io.BytesIO(png), "foto.png")).status_code == 302
    assert (stored_claim(app, claim_id).status, _documents(app, claim_id)) == (
        "needs_review", [("answer", len(png))])


def test_a_cause_answer_runs_the_rules_again_and_a_clerk_weighs_it_against_the_data(
        app: Flask, clerk_id: int) -> None:
    """74 minutes late by the data, for extreme weather: no compensation under 2021/782.
    The passenger says they were told of a strike of the operator's own staff. The rules
    run again with that cause (owed: 25 %), but a cause said against the operator's data
    is a clerk's to weigh: never paid on the passenger's word alone."""
    create_operator(app)
    load(app, [rail_booking("INFO01")], [arrival(cause="extreme-weather")])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    claim_id = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Erika Mustermann", passenger_email="erika@example.org",
        arrived_with_service=None, statement="Uns wurde ein Streik angesagt", language="de"),
        effort={}).claim_id
    assess_claims(factory, [claim_id])
    assert (stored_claim(app, claim_id).status, stored_claim(app, claim_id).eligible) == (
        "needs_review", False)
    status_url = _ask(app, clerk_id, claim_id, ["cause"])
    passenger = app.test_client()
    page = passenger.get(status_url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Welchen Grund für die Verspätung hat man Ihnen genannt?" in page
    assert "Streik des eigenen Personals" in page  # the causes in words, not codes
    empty = _send(passenger, page, status_url + "/info", headers={"Accept-Language": "de"})
    assert empty.status_code == 422
    assert "Bitte wählen Sie den Grund, den man Ihnen genannt hat." in empty.get_data(
        as_text=True)
    assert _send(passenger, page, status_url + "/info",
                 cause="own-staff-strike").status_code == 302
    assert _request(app, claim_id).cause == "own-staff-strike"
    run_worker(app)

    claim = stored_claim(app, claim_id)
    assert (claim.status, claim.eligible, claim.percent, str(claim.amount)) == (
        "needs_review", True, 25, "19.75")
    assert "passenger-answered" in (claim.reason_codes or [])
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert "<dd>strike of the operator's own staff</dd>" in page
    before = re.search(r'id="outcome-before">([^<]*)<', page)
    assert before and before.group(1) == "not eligible, 74 min late"
