"""The passenger's status page after the decision: where the money goes (masked, with the
bank's name), amounts as the reader writes them, the CES 2.0 question asked once, and the
claim on the EU common form."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from claims.db.models import Claim, ClaimEvent
from tests.helpers import create_operator, csrf_token, load, look_up, run_worker, submit
from tests.records import DAY, arrival, rail_booking

GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                 "September", "Oktober", "November", "Dezember")


def _approved_claim(app: Flask, client: FlaskClient, language: str = "en") -> str:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Hans Müller",
                                                 "email": "hans@example.org"})], [arrival()])
    client.get(f"/language/{language}")
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    run_worker(app)
    return str(status_url)


def test_the_payout_account_is_masked_and_named(app: Flask, client: FlaskClient) -> None:
    page = client.get(_approved_claim(app, client)).get_data(as_text=True)
    assert "Approved: we pay you 19.75 EUR." in page
    # Approved, not yet paid: where it will go, not that it went.
    assert ("To be paid by bank transfer to DE02 **** **** **** 2051 (Deutsche Kreditbank "
            "Berlin) in the next payout run.") in page
    assert "Paid by bank transfer" not in page
    assert "DE02120300000000202051" not in page


def test_amounts_are_written_the_german_way_in_german(app: Flask, client: FlaskClient) -> None:
    page = client.get(_approved_claim(app, client, "de")).get_data(as_text=True)
    assert "Genehmigt: Wir zahlen Ihnen 19,75 EUR." in page


def test_the_ces_question_is_asked_once_after_the_decision(
        app: Flask, client: FlaskClient) -> None:
    status_url = _approved_claim(app, client)
    page = client.get(status_url).get_data(as_text=True)
    assert "Test Rail made it easy for me to handle my claim." in page
    # A question after the story, under a heading that says it is one: not the page title.
    assert page.index("What happened so far") < page.index('id="survey"')
    assert '<h2 id="survey-h">One question, if you have a moment</h2>' in page
    token = csrf_token(page)
    missing = client.post(status_url + "/survey", data={"csrf_token": token})
    assert missing.status_code == 422
    assert "Choose a number from 1 to 7." in missing.get_data(as_text=True)
    assert client.post(status_url + "/survey", data={
        "csrf_token": token, "score": "9"}).status_code == 422
    answered = client.post(status_url + "/survey", data={
        "csrf_token": token, "score": "6", "comment": "Quick, thanks"})
    assert answered.status_code == 302
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert (claim.ces_score, claim.ces_comment) == (6, "Quick, thanks")
        counts = session.scalars(select(ClaimEvent.counts).where(
            ClaimEvent.kind == "survey_answered")).one()
    assert counts == {"score": 6, "commented": 1}  # the comment itself stays out of the log
    page = client.get(status_url).get_data(as_text=True)
    assert "Thank you for your answer." in page and 'name="score"' not in page
    assert client.post(status_url + "/survey", data={
        "csrf_token": token, "score": "1"}).status_code == 409


def test_the_claim_on_the_eu_common_form(app: Flask, client: FlaskClient) -> None:
    from claims.passengers import status_view
    from portal.pdf import render_pdf

    status_url = _approved_claim(app, client)
    assert "form.pdf" in client.get(status_url).get_data(as_text=True)
    response = client.get(status_url + "/form.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    # What goes into the PDF, read as HTML: every field prefilled from the claim.
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    with app.test_request_context(headers={"Accept-Language": "de"}):
        from flask import render_template

        view = status_view.claim_view(app.extensions["effortless"].session_factory, claim_id,
                                   language="de", record_view=False)
        html = render_template("pdf/eu_form.html", claim=view, language="de", today="heute")
    for expected in ("Durchführungsverordnung (EU) 2024/949", "Hans Müller",
                     "hans@example.org", "Q7K2LM", "IC 2013", "74 Minuten",
                     "79,00 EUR (Einzelfahrschein)", "19,75 EUR (25 %)",
                     "DE02 **** **** **** 2051"):
        assert expected in html, expected
    assert render_pdf(html).startswith(b"%PDF-")


def test_the_payout_date_shows_once_paid(app: Flask, client: FlaskClient) -> None:
    status_url = _approved_claim(app, client)
    assert "Paid on" not in client.get(status_url).get_data(as_text=True)
    runner = app.test_cli_runner()
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                        "Test Rail", "--payout-account-iban", "DE89370400440532013000"])
    assert runner.invoke(args=["payouts", "run"]).exit_code == 0
    page = client.get(status_url).get_data(as_text=True)
    assert "Paid on" in page and "Approved and paid: 19.75 EUR." in page


def test_a_passenger_told_nothing_is_due_learns_how_to_disagree(
        app: Flask, client: FlaskClient) -> None:

    create_operator(app)
    load(app, [rail_booking("Q7K2LM")], [arrival(actual=f"{DAY}T11:54:00+01:00")])
    look_up(client, "Q7K2LM", "Mustermann")
    form = client.get("/claim").get_data(as_text=True)
    assert "No compensation is due." in form
    assert 'id="disagree"' in form and "a member of staff decides" in form
    # Not small print: a notice, and the box to say what happened is open.
    assert '<div class="notice" id="disagree">' in form
    assert re.search(r"<details open>\s*<summary>Something was different", form)


def test_a_german_passenger_reads_german_throughout_in_local_time(
        app: Flask, client: FlaskClient) -> None:
    status_url = _approved_claim(app, client, "de")
    page = client.get(status_url).get_data(as_text=True)
    assert "Rechtsgrundlage: Verordnung (EU) 2021/782, Art. 19 Abs. 1 Buchst. a" in page
    assert "Regulation" not in page and "UTC" not in page
    with app.extensions["effortless"].session_factory() as session:
        submitted = session.scalars(select(Claim.submitted_at)).one()
    berlin = submitted.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{berlin.day}. {GERMAN_MONTHS[berlin.month - 1]} {berlin.year}, {berlin:%H:%M}: " \
           "Antrag eingereicht" in page
    for document in ("/letter.pdf", "/form.pdf"):
        pdf = client.get(status_url + document)
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(
            io.BytesIO(pdf.data)).pages).split())
        assert "Verordnung (EU) 2021/782" in text, document
        for english in ("Regulation", "Nov 2026", "single)", "Bank transfer", "Approved"):
            assert english not in text, (document, english)
    # The station's own time, as on the ticket.
    assert format_date(date.fromisoformat(DAY), "d. MMM y", locale="de") + ", 11:44" in text


def test_a_claim_with_a_person_says_why_and_by_when_not_a_preliminary_verdict(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Hans Müller",
                                                 "email": "hans@example.org"})],
         [arrival("ICE 597", "Mannheim Hbf", f"{DAY}T11:23:00+01:00"),
          arrival("IC 2013", "Stuttgart Hbf", f"{DAY}T12:16:00+01:00")])
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
    assert claim.status == "needs_review" and "missed-connection" in claim.reason_codes
    page = client.get(status_url).get_data(as_text=True)
    answer_by = (claim.submitted_at + timedelta(days=30)).astimezone(ZoneInfo("Europe/Berlin"))
    assert ("A member of staff is checking your claim: you missed a connection, and we check "
            f"when you really arrived. You will hear from us by {answer_by.day} "
            f"{answer_by:%B %Y} at the latest") in page
    assert "compensation only from" not in page and "Decision made" not in page
    assert "Passed to a member of staff for a check" in page
