"""What the passenger reads after filing (issue 44): the EU common form for EU rail claims
only; where the money goes, first; after a final rejection, the bodies to turn to, on the
page and in a letter that names its sender, the deadline for an objection and the link."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from claims.clerks import decisions
from claims.core.vocabulary import Role
from claims.db.models import Claim
from claims.operators import accounts
from claims.processing import objections
from tests.helpers import (
    DECISION,
    RECEIPT,
    create_operator,
    csrf_token,
    file_claim,
    load,
    look_up,
    mail_bodies,
    mails,
    run_worker,
    submit,
)
from tests.records import DAY, arrival, rail_booking
from workflows import pipeline

LATE_45 = f"{DAY}T12:29:00+01:00"  # IC 2013 due 11:44: no compensation under 60 minutes


def _factory(app: Flask) -> Any:
    return app.extensions["effortless"].session_factory


def _claim(app: Flask) -> Claim:
    with _factory(app)() as session:
        return session.scalars(select(Claim)).one()


def _pdf_text(data: bytes) -> str:
    return unicodedata.normalize("NFC", " ".join(" ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split()))


def _flight_booking() -> dict[str, Any]:
    return {"reference": "FLY001", "operator": "test-air", "regime": "eu-air",
            "carrier_eu": True,
            "passenger": {"name": "Marie Dupont", "email": "marie@example.org"},
            "fare": {"amount": "189.00", "currency": "EUR", "kind": "single"},
            "legs": [{"service": "DA 100", "origin": "FRA", "destination": "LIS",
                      "scheduled_departure": f"{DAY}T08:35:00+01:00",
                      "scheduled_arrival": f"{DAY}T10:25:00+00:00"}]}


def _uk_booking() -> dict[str, Any]:
    return {"reference": "UKR001", "operator": "test-uk", "regime": "uk-rail",
            "scheme": "DR15", "passenger": {"name": "John Smith", "email": "john@example.org"},
            "fare": {"amount": "45.00", "currency": "GBP", "kind": "single"},
            "legs": [{"service": "1S10", "origin": "London Kings Cross",
                      "destination": "York", "scheduled_departure": f"{DAY}T10:00:00+00:00",
                      "scheduled_arrival": f"{DAY}T12:00:00+00:00"}]}


@pytest.mark.parametrize(("slug", "regime", "booking", "late", "surname"), [
    ("test-air", "eu-air", _flight_booking,
     arrival("DA 100", "LIS", f"{DAY}T14:40:00+00:00", operator="test-air"), "Dupont"),
    ("test-uk", "uk-rail", _uk_booking,
     arrival("1S10", "York", f"{DAY}T13:10:00+00:00", operator="test-uk"), "Smith"),
])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_eu_rail_form_is_offered_for_eu_rail_claims_only(
        app: Flask, client: FlaskClient, slug: str, regime: str, booking: Any,
        late: dict[str, Any], surname: str, language: str) -> None:
    create_operator(app, slug, regime)
    load(app, [booking()], [late])
    client.get(f"/language/{language}")
    look_up(client, booking()["reference"], surname)
    status_url = submit(client, passenger_name=booking()["passenger"]["name"],
                        payout="voucher").location
    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert 'id="status"' in page
    assert "form.pdf" not in page and 'id="eu-form"' not in page
    refused = client.get(status_url + "/form.pdf")
    assert refused.status_code == 404 and refused.mimetype == "text/html"
    assert ("Das EU-Formular gilt nur für Bahnreisen" if language == "de" else
            "The EU common form is for rail journeys") in refused.get_data(as_text=True)
    # The decision letter is still there.
    assert client.get(status_url + "/letter.pdf").status_code == 200


def test_an_eu_rail_claim_keeps_its_form(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    look_up(client, "Q7K2LM", "Mustermann")
    status_url = submit(client).location
    run_worker(app)
    assert 'id="eu-form"' in client.get(status_url).get_data(as_text=True)
    assert client.get(status_url + "/form.pdf").status_code == 200


def test_the_eu_forms_signature_never_goes_alone_onto_a_page(
        app: Flask, client: FlaskClient) -> None:
    """However long the journey (legs added one by one, so that the form's end falls at
    every place of a page), the date and the signature stay with their heading."""
    from dataclasses import replace

    from flask import render_template

    from claims.passengers import status_view
    from portal.pdf import render_pdf

    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    look_up(client, "Q7K2LM", "Mustermann")
    submit(client)
    run_worker(app)
    view = status_view.claim_view(_factory(app), _claim(app).id, language="en",
                             record_view=False)
    for legs in range(2, 30, 2):
        longer = replace(view, legs=view.legs * (legs // 2))
        with app.test_request_context():
            html = render_template("pdf/eu_form.html", claim=longer, language="en",
                                   today="today")
        pages = [" ".join(page.extract_text().split()) for page in
                 PdfReader(io.BytesIO(render_pdf(html))).pages]
        [signed] = [page for page in pages if "Signature" in page.replace(
            "Date and signature", "")]
        assert "6. Date and signature" in signed and "Date today" in signed, (legs, signed)


def _checked(page: str, value: str) -> bool:
    return bool(re.search(rf'<input[^>]*value="{value}"[^>]*checked|'
                          rf'<input[^>]*checked[^>]*value="{value}"', page))


@pytest.mark.parametrize("language", ["en", "de"])
def test_without_an_account_on_file_the_iban_is_chosen_and_its_hint_fits(
        app: Flask, client: FlaskClient, language: str) -> None:
    create_operator(app)
    load(app, [rail_booking(payment=None), rail_booking("Q7K2LN")], [arrival()])
    client.get(f"/language/{language}")
    look_up(client, "Q7K2LM", "Mustermann")
    page = client.get("/claim").get_data(as_text=True)
    assert 'value="account"' not in page
    assert _checked(page, "iban")
    assert ("Das Konto, auf das wir Ihre Entschädigung zahlen." if language == "de" else
            "The account we pay your compensation to. Not needed for a travel voucher.") in page
    assert "another bank account" not in page and "anderes Konto" not in page

    other = app.test_client()
    other.get(f"/language/{language}")
    look_up(other, "Q7K2LN", "Mustermann")
    page = other.get("/claim").get_data(as_text=True)
    assert _checked(page, "account") and not _checked(page, "iban")
    assert "The account we pay your compensation to" not in page
    assert "Das Konto, auf das wir Ihre Entschädigung zahlen" not in page


def _mailing_operator(app: Flask, mode: str = "off") -> str:
    key = create_operator(app)
    accounts.configure_operator(_factory(app), "test-rail", proactive_mode=mode,
                                payout_account_name="Test Rail",
                                payout_account_iban="DE89370400440532013000")
    return key


@pytest.mark.parametrize(("fields", "said"), [
    ({}, "It goes to your account on file ending in 2051 with our next payment run."),
    ({"payout": "iban", "iban": "DE89 3704 0044 0532 0130 00",
      "account_holder": "Erika Mustermann"},
     "It goes to the account you gave us, ending in 3000, with our next payment run."),
    ({"payout": "voucher"}, "You chose a travel voucher"),
])
def test_the_decision_mail_says_where_the_money_really_goes(
        app: Flask, fields: dict[str, str], said: str) -> None:
    _mailing_operator(app)
    # A typed account where there is one on file goes to a clerk: typed where there is none.
    load(app, [rail_booking(**({"payment": None} if "iban" in fields else {}))], [arrival()])
    file_claim(app, "Q7K2LM", "Mustermann", **fields)
    run_worker(app)
    [decision] = [body for (_to, subject), body in zip(mails(app), mail_bodies(app),
                                                         strict=True) if subject == DECISION]
    assert said in decision
    assert "DE89370400440532013000" not in decision and "DE02120300000000202051" not in decision
    if fields:
        assert "account on file" not in decision


def test_after_accepting_an_offer_the_page_leads_with_where_the_money_goes(
        app: Flask) -> None:
    key = _mailing_operator(app, "offer")
    load(app, [rail_booking(payment=None)])
    response = app.test_client().post("/api/v1/operations", data=__import__("json").dumps(
        arrival()), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    run_worker(app)
    [link] = [re.search(r"https?://\S+/status/\S+", body).group(0)  # type: ignore[union-attr]
              for body in mail_bodies(app)]
    link = link.split("://", 1)[1].split("/", 1)[1]
    client = app.test_client()
    page = client.get("/" + link).get_data(as_text=True)
    done = client.post("/" + link + "/accept", data={
        "csrf_token": csrf_token(page), "payout": "iban",
        "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Erika Mustermann"})
    assert done.status_code == 302
    page = client.get("/" + link).get_data(as_text=True)
    money = page.index('id="payout"')
    assert "To be paid by bank transfer to DE89 **** **** **** 3000" in page
    # The objection is there, but folded, below, and not the main button.
    assert money < page.index('id="appeal"')
    assert re.search(r'<details>\s*<summary>\s*<h2 id="appeal-h"', page)
    assert '<button type="submit" class="secondary" id="object">' in page


def _rejected_claim(app: Flask, client: FlaskClient, slug: str = "test-rail",
                    language: str = "en") -> str:
    create_operator(app, slug)
    load(app, [rail_booking(operator=slug)],
         [arrival(actual=LATE_45, operator=slug)])
    client.get(f"/language/{language}")
    look_up(client, "Q7K2LM", "Mustermann")
    status_url = str(submit(client, passenger_name="Erika Mustermann").location)
    run_worker(app)
    assert _claim(app).status == "rejected"
    return status_url


def _window_passed(app: Flask) -> None:
    with _factory(app).begin() as session:
        claim = session.scalars(select(Claim)).one()
        claim.decided_at -= objections.OBJECTION_WITHIN + timedelta(minutes=1)


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_rejection_letter_names_its_sender_the_objection_deadline_and_the_link(
        app: Flask, client: FlaskClient, language: str) -> None:
    status_url = _rejected_claim(app, client, "demo-rail", language)
    page = client.get(status_url).get_data(as_text=True)
    assert 'id="escalation"' not in page  # an objection is still open
    text = _pdf_text(client.get(status_url + "/letter.pdf").data)
    assert "Demo Rail · Bahnhofplatz 1 · 10557 Berlin" in text
    deadline = _claim(app).decided_at + objections.OBJECTION_WITHIN  # type: ignore[operator]
    from babel.dates import format_date
    written = format_date(deadline.date(), format="long", locale=language)
    assert written in text
    assert ("bis zum " if language == "de" else "until ") + written in text
    token = status_url.rsplit("/", 1)[1]
    assert token in text.replace(" ", "")
    assert "söp" not in text and "Rail Ombudsman" not in text


@pytest.mark.parametrize("language", ["en", "de"])
def test_when_the_objection_window_passed_page_and_letter_name_the_bodies(
        app: Flask, client: FlaskClient, language: str) -> None:
    status_url = _rejected_claim(app, client, "demo-rail", language)
    _window_passed(app)
    page = client.get(status_url).get_data(as_text=True)
    assert 'id="escalation"' in page and 'name="objection"' not in page
    assert 'href="https://soep-online.de"' in page
    assert ("An wen Sie sich jetzt wenden können" if language == "de" else
            "Where you can turn now") in page
    assert "Eisenbahn-Bundesamt" in page
    text = _pdf_text(client.get(status_url + "/letter.pdf").data)
    assert "söp" in text and "https://soep-online.de" in text
    assert ("Diese Entscheidung ist bei uns endgültig" if language == "de" else
            "This decision is final with us") in text
    assert ("widersprechen" if language == "de" else "object") not in text.split(
        "endgültig" if language == "de" else "final with us")[1].split(".")[0]


def test_an_operator_of_no_known_country_gets_the_regimes_default_and_a_plain_sender(
        app: Flask, client: FlaskClient) -> None:
    status_url = _rejected_claim(app, client)
    _window_passed(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "The national enforcement body for rail passenger rights" in page
    assert "soep-online" not in page
    text = _pdf_text(client.get(status_url + "/letter.pdf").data)
    assert "Test Rail · Effortless" in text


def test_an_objection_rejected_again_is_final(app: Flask, client: FlaskClient) -> None:
    status_url = _rejected_claim(app, client, "demo-rail")
    page = client.get(status_url).get_data(as_text=True)
    objected = client.post(status_url + "/appeal", data={
        "csrf_token": csrf_token(page), "objection": "It was more than an hour."})
    assert objected.status_code == 302
    clerk = accounts.create_user(_factory(app), "clerk@example.org", Role.CLERK,
                                 "a-long-enough-password-1")
    decisions.reject(_factory(app), _claim(app).id, clerk, reason="not-eligible")
    page = client.get(status_url).get_data(as_text=True)
    assert 'id="escalation"' in page and "söp" in page
    assert 'name="objection"' not in page
    assert "söp" in _pdf_text(client.get(status_url + "/letter.pdf").data)
    # The e-mail on the second decision points there too, not to a second objection.
    current = app.extensions["effortless"]
    pipeline.sweep(current.session_factory, current.redis)
    run_worker(app)
    decided = [body for (_to, subject), body in zip(mails(app), mail_bodies(app),
                                                    strict=True) if subject == DECISION]
    assert len(decided) == 2
    assert "you can object" in decided[0] and "you can object" not in decided[1]
    assert "This decision is final with us" in decided[1]


def test_the_decision_mail_follows_the_receipt(app: Flask) -> None:
    """The claim is decided before the receipt's job runs (another worker, a slow mail
    server): the decision's job sends the receipt first, and the receipt's job then
    sends nothing."""
    from rq import Queue

    from workflows.queues import CLAIMS_QUEUE, enqueue_notice, notice_job_id

    _mailing_operator(app)
    load(app, [rail_booking()], [arrival()])
    file_claim(app, "Q7K2LM", "Mustermann")
    current = app.extensions["effortless"]
    claim_id = _claim(app).id
    Queue(CLAIMS_QUEUE, connection=current.redis).remove(notice_job_id(claim_id, "receipt"))
    run_worker(app)
    assert [subject for _to, subject in mails(app)] == [RECEIPT, DECISION]
    enqueue_notice(current.redis, claim_id, "receipt")
    run_worker(app)
    assert [subject for _to, subject in mails(app)] == [RECEIPT, DECISION]
