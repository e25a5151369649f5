"""The passenger's pages say one thing one way (issue 44): the reference's hint and its
error from one rule, one word for "sent" and for a member of staff, the error summary in
the page's order, and no first verdict repeated while a detail is asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.clerks import decisions
from claims.core.names import REFERENCE_MAX_LENGTH, REFERENCE_MIN_LENGTH
from claims.core.vocabulary import Role
from claims.db.models import Claim
from claims.operators import accounts
from tests.helpers import create_operator, csrf_token, load, look_up, run_worker, submit
from tests.records import DAY, arrival, rail_booking

CATALOGUE = Path(__file__).parents[2] / "portal/translations/de/LC_MESSAGES/messages.po"


@pytest.mark.parametrize(("language", "words"), [("en", "{} to {} letters and digits"),
                                                 ("de", "{} bis {} Buchstaben und Ziffern")])
def test_the_reference_hint_and_its_error_state_the_same_rule(
        client: FlaskClient, language: str, words: str) -> None:
    client.get(f"/language/{language}")
    rule = words.format(REFERENCE_MIN_LENGTH, REFERENCE_MAX_LENGTH)
    page = client.get("/").get_data(as_text=True)
    hint = re.search(r'<p class="hint" id="reference-hint">([^<]*)</p>', page)
    assert hint and rule in hint.group(1)
    refused = client.post("/", data={"csrf_token": csrf_token(page), "reference": "AB1",
                                     "surname": "Mustermann"})
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="reference-error">([^<]*)</p>',
                      refused.get_data(as_text=True))
    assert error and rule in error.group(1)
    assert "Sechs" not in page and "Six" not in page


def _msgstrs() -> str:
    text = CATALOGUE.read_text(encoding="utf-8")
    # Each msgstr with its continuation lines, joined.
    return " ".join("".join(re.findall(r'"(.*)"', block)) for block in
                    re.findall(r'msgstr ((?:".*"\n?)+)', text))


def test_german_says_gesendet_and_mitarbeiterin_oder_mitarbeiter_throughout() -> None:
    german = _msgstrs()
    assert "versandt" not in german and "versendet" not in german
    assert "gesendet" in german
    # "ein Mitarbeiter" only as the second half of "eine Mitarbeiterin oder ein Mitarbeiter".
    for found in re.finditer(r"\b[Ee]in(en)? Mitarbeiter\b", german):
        assert german[:found.start()].endswith("Mitarbeiterin oder "), \
            german[found.start() - 60:found.end() + 20]
    assert "Mitarbeiter/in" not in german


def test_the_manual_forms_error_summary_lists_the_fields_in_the_pages_order(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    page = client.get("/manual").get_data(as_text=True)
    refused = client.post("/manual", data={"csrf_token": csrf_token(page), "payout": "iban"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    summary = html[html.index('id="error-summary"'):html.index("</ul>",
                                                                html.index('id="error-summary"'))]
    listed = re.findall(r'href="#([\w-]+)"', summary)
    assert len(listed) >= 5, listed
    form = html[html.index("<form"):]
    on_the_page = [name for name in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([\w-]+)"',
                                               form) if name in listed]
    assert listed == on_the_page


def test_a_question_from_a_clerk_does_not_repeat_the_first_verdict(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival(actual=f"{DAY}T12:29:00+01:00")])
    client.get("/language/de")
    look_up(client, "Q7K2LM", "Mustermann")
    status_url = submit(client, passenger_name="Erika Mustermann",
                        statement="Es waren mehr als 60 Minuten.").location
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    clerk = accounts.create_user(factory, "clerk@example.org", Role.CLERK,
                                 "a-long-enough-password-1")
    decisions.request_info(factory, claim_id, clerk, ["arrival_time"])
    page = client.get(status_url).get_data(as_text=True)
    assert 'id="info-h"' in page
    assert "Entschädigung gibt es ab 60 Minuten" not in page
