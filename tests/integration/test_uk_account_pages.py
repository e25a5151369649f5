"""A UK sort code and account number beyond the claim form: accepting an offer in pounds,
a claim without a booking for an operator paying in pounds, and where the money goes as
the status page, the clerk's file, the mails and the data export show it (masked)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from claims.db.models import Claim, ClaimEvent
from claims.operators import accounts
from tests.helpers import (
    DECISION,
    create_operator,
    csrf_token,
    mail_bodies,
    mails,
    run_worker,
    sign_in,
    status_links_in,
)
from tests.integration.test_proactive import OFFER, _bookings, _delays
from tests.records import DAY, arrival, rail_booking
from tools.bank_files import payment_status_report

OPERATOR_IBAN = "GB33BUKB20201555555555"  # sort code 20-20-15, account 55555555
# A pair the modulus rules accept, and the same with the last digit changed (refused).
SORT_CODE, ACCOUNT, WRONG_ACCOUNT = "08-99-99", "66374958", "66374959"
MASKED = "08-99-99 ****4958"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _pound_operator(app: Flask, *, offers: bool = False, slug: str = "test-rail",
                    regime: str = "eu-rail") -> str:
    key = create_operator(app, slug, regime)
    accounts.configure_operator(app.extensions["effortless"].session_factory, slug,
                                payout_account_name="Test Rail",
                                payout_account_iban=OPERATOR_IBAN,
                                **({"proactive_mode": "offer"} if offers else {}))
    return key


def _gbp_offer(app: Flask) -> str:
    """An offer in pounds for a booking without an account on file: its status link."""
    key = _pound_operator(app, offers=True)
    _bookings(app, rail_booking(passenger={"name": "Olivia Brown", "email":
                                           "olivia@example.org"},
                                fare={"amount": "40.00", "currency": "GBP", "kind": "single"},
                                payment=None))
    _delays(app, key, arrival())
    [claim] = _claims(app)
    assert (claim.status, claim.currency, claim.payout_method) == ("offered", "GBP", "none")
    [body] = [b for (_to, subject), b in zip(mails(app), mail_bodies(app), strict=True)
              if subject == OFFER]
    [link] = status_links_in(body)
    return link


def _claims(app: Flask) -> list[Claim]:
    with app.extensions["effortless"].session_factory() as session:
        return list(session.scalars(select(Claim).order_by(Claim.id)))


def _accept(client: FlaskClient, link: str, account: str, holder: str = "Olivia Brown",
            language: str = "en") -> tuple[int, str]:
    client.get(f"/language/{language}")
    page = client.get(link).get_data(as_text=True)
    response = client.post(link + "/accept", data={
        "csrf_token": csrf_token(page), "payout": "uk-account", "sort_code": SORT_CODE,
        "account_number": account, "account_holder": holder})
    return response.status_code, response.get_data(as_text=True)


def test_an_offer_in_pounds_is_accepted_to_a_uk_account_and_paid_in_a_standard_18_file(
        app: Flask, runner: Any) -> None:
    link = _gbp_offer(app)
    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    assert "UK bank account: sort code + account number" in page
    assert 'name="sort_code"' in page and 'name="account_number"' in page

    # A wrong modulus: refused on the page itself, in the passenger's language, with what
    # was typed kept; nothing changes.
    status, english = _accept(client, link, WRONG_ACCOUNT)
    assert status == 422
    assert "This sort code and account number do not belong together." in english
    assert f'value="{WRONG_ACCOUNT}"' in english and f'value="{SORT_CODE}"' in english
    assert 'value="Olivia Brown"' in english
    assert re.search(r'<input checked[^>]*value="uk-account"', english), english
    status, german = _accept(client, link, WRONG_ACCOUNT, language="de")
    assert status == 422
    assert "Bankleitzahl (Sort Code) und Kontonummer passen nicht zusammen." in german
    assert _claims(app)[0].status == "offered"

    # Then the right number, sent from the page that refused the wrong one (it posts
    # where the offer's page does): accepted, paid in the next run to that account.
    [action] = re.findall(r'<form method="post" action="([^"]+/accept)"', german)
    assert action == link + "/accept"
    client.get("/language/en")
    accepted = client.post(action, data={
        "csrf_token": csrf_token(german), "payout": "uk-account", "sort_code": SORT_CODE,
        "account_number": ACCOUNT, "account_holder": "Olivia Brown"})
    assert accepted.status_code == 302
    [claim] = _claims(app)
    assert (claim.status, claim.payout_method, claim.payout_sort_code,
            claim.payout_account_number, claim.payout_holder) == (
        "approved", "uk-account", "089999", ACCOUNT, "Olivia Brown")
    with app.extensions["effortless"].session_factory() as session:
        event = session.scalars(select(ClaimEvent).where(
            ClaimEvent.kind == "offer_accepted")).one()
        assert event.counts["fields_typed"] == 3
    page = client.get(link).get_data(as_text=True)
    assert f"To be paid by bank transfer to the UK account {MASKED} in the next payout" \
        in page
    assert ACCOUNT not in page
    run_worker(app)
    decision = [b for (_to, s), b in zip(mails(app), mail_bodies(app), strict=True)
                if s == DECISION]
    assert decision and "ending in 4958" in decision[0]

    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    [line] = (Path(app.instance_path) / "payouts" / "test-rail-run-000001.txt"
              ).read_text().splitlines()
    assert line[0:14] == "089999" + ACCOUNT
    assert line[17:31] == "202015" "55555555"
    assert line[35:46] == f"{int(claim.amount * 100):011d}"
    assert line[82:100] == "OLIVIA BROWN".ljust(18)
    run_worker(app)
    payout_mail = [b for (_to, s), b in zip(mails(app), mail_bodies(app), strict=True)
                   if "ending in 4958" in b and "sent" in b]
    assert payout_mail, mails(app)

    # Paid: the page, the data export and the payout mail name the account masked.
    page = client.get(link).get_data(as_text=True)
    assert f"Paid by bank transfer to the UK account {MASKED}." in page
    export = client.get(link + "/data.json")
    data = json.loads(export.get_data(as_text=True))
    assert data["claim"]["payout_account"] == MASKED
    assert data["payout"]["account"] == MASKED
    assert ACCOUNT not in export.get_data(as_text=True)


def test_an_offer_in_euros_takes_no_uk_account(app: Flask) -> None:
    key = _pound_operator(app, offers=True)
    _bookings(app, rail_booking(payment=None))
    _delays(app, key, arrival())
    [body] = [b for (_to, subject), b in zip(mails(app), mail_bodies(app), strict=True)
              if subject == OFFER]
    [link] = status_links_in(body)
    client = app.test_client()
    assert 'name="sort_code"' not in client.get(link).get_data(as_text=True)
    status, _page = _accept(client, link, ACCOUNT, holder="Erika Mustermann")
    assert status == 422
    assert _claims(app)[0].status == "offered"


def test_a_uk_account_in_another_name_goes_to_a_clerk_who_sees_it_masked(
        app: Flask) -> None:
    link = _gbp_offer(app)
    client = app.test_client()
    status, _body = _accept(client, link, ACCOUNT, holder="Mallory Smith")
    assert status == 302
    [claim] = _claims(app)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["payout-holder-differs"])

    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", "a-long-password")
    page = clerk.get(f"/clerk/claims/{claim.id}").get_data(as_text=True)
    assert "to a UK account the passenger gave" in page
    assert f"sort code and account number {MASKED}" in page
    assert ACCOUNT not in page and "uk-account" not in page


def _manual_form(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    token = csrf_token(client.get("/manual").get_data(as_text=True))
    data: dict[str, Any] = {
        "csrf_token": token, "operator": "demo-uk", "service": "1A23",
        "origin": "London Euston", "destination": "Manchester Piccadilly",
        "travel_date": DAY, "scheduled_arrival": "13:42", "price": "54.20",
        "passenger_name": "Olivia Brown", "passenger_email": "olivia@example.org",
        "payout": "uk-account", "sort_code": SORT_CODE, "account_number": WRONG_ACCOUNT,
        "account_holder": "Olivia Brown", "ticket": (io.BytesIO(PDF), "ticket.pdf")}
    data.update(changes)
    return data


def _submit_manual(client: FlaskClient, data: dict[str, Any]) -> tuple[int, str, str | None]:
    stream, name = data.pop("ticket")
    boundary, body = encode_multipart({**data, "ticket": FileStorage(stream=stream,
                                                                     filename=name)})
    with client.post("/manual", data=body,
                     content_type=f"multipart/form-data; boundary={boundary}") as response:
        return response.status_code, response.get_data(as_text=True), response.location


def test_a_claim_without_a_booking_for_a_uk_operator_takes_a_uk_account(
        app: Flask, client: FlaskClient) -> None:
    _pound_operator(app, slug="demo-uk", regime="uk-rail")
    create_operator(app, "euro-rail")
    form = client.get("/manual").get_data(as_text=True)
    assert "UK bank account: sort code + account number" in form
    assert "Demo Uk (GBP)" in form and "for a railway paying in pounds (GBP)" in form

    # An operator paying in euros: the choice is refused with the reason.
    status, page, _ = _submit_manual(client, _manual_form(
        client, operator="euro-rail", account_number=ACCOUNT))
    assert status == 422
    assert "A UK bank account can take pounds only" in page
    assert 'id="ticket-kept"' in page  # nothing typed or attached is lost

    # A wrong modulus, then the right number: the page posts back to itself, keeping
    # what was typed (the ticket too).
    status, page, _ = _submit_manual(client, _manual_form(client))
    assert status == 422
    assert "This sort code and account number do not belong together." in page
    assert f'value="{WRONG_ACCOUNT}"' in page and f'value="{SORT_CODE}"' in page
    assert 'value="London Euston"' in page
    assert re.search(r'<input checked[^>]*value="uk-account"', page)
    kept = page.split('name="kept_ticket" type="hidden" value="')[1].split('"')[0]
    client.get("/language/de")
    status, german, _ = _submit_manual(client, _manual_form(
        client, kept_ticket=kept, ticket=(io.BytesIO(b""), "")))
    assert status == 422
    assert "Bankleitzahl (Sort Code) und Kontonummer passen nicht zusammen." in german
    client.get("/language/en")
    status, _page, location = _submit_manual(client, _manual_form(
        client, account_number=ACCOUNT, kept_ticket=kept, ticket=(io.BytesIO(b""), "")))
    assert status == 302 and location is not None, _page
    [claim] = _claims(app)
    assert (claim.payout_method, claim.payout_sort_code, claim.payout_account_number,
            claim.currency) == ("uk-account", "089999", ACCOUNT, "GBP")

    # A clerk approves it; it is paid to that account in the Standard 18 file.
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", "a-long-password")
    page = clerk.get(f"/clerk/claims/{claim.id}").get_data(as_text=True)
    assert f"sort code and account number {MASKED}" in page and ACCOUNT not in page
    clerk.post(f"/clerk/claims/{claim.id}/approve", data={
        "csrf_token": csrf_token(page), "amount": "13.55", "note": "25 %, 62 min late"})
    [claim] = _claims(app)
    assert claim.status == "approved"
    status_page = client.get(location).get_data(as_text=True)
    assert f"to the UK account {MASKED}" in status_page and ACCOUNT not in status_page



def test_after_the_bank_sends_pounds_back_the_passenger_gives_another_uk_account(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    """A UK passenger whose transfer came back gives a sort code and account number, as
    on the claim form: not an IBAN they rarely know. The account the bank refused is
    refused again; the next run pays the new one in a Standard 18 file."""
    link = _gbp_offer(app)
    client = app.test_client()
    assert _accept(client, link, ACCOUNT)[0] == 302
    run_worker(app)
    assert runner.invoke(args=["payouts", "run"]).exit_code == 0
    returned = tmp_path / "status.xml"
    returned.write_bytes(payment_status_report([("EFF-CLAIM-1", "RJCT", "AC04")]))
    assert "1 returned" in runner.invoke(args=["payouts", "feedback", str(returned)]).output
    assert _claims(app)[0].status == "payout_failed"

    page = client.get(link).get_data(as_text=True)
    assert "UK bank account: sort code + account number" in page
    action = link + "/account"

    def give(page: str, **fields: str) -> tuple[int, str]:
        answer = client.post(action, data={"csrf_token": csrf_token(page),
                                           "payout": "uk-account", **fields})
        return answer.status_code, answer.get_data(as_text=True)

    status, wrong = give(page, sort_code=SORT_CODE, account_number=WRONG_ACCOUNT)
    assert status == 422 and "do not belong together" in wrong
    assert f'value="{WRONG_ACCOUNT}"' in wrong
    assert re.findall(r'<form method="post" action="([^"]+/account)"', wrong) == [action]
    status, same = give(wrong, sort_code=SORT_CODE, account_number=ACCOUNT)
    assert status == 422 and "sent the money back from this account" in same
    assert _claims(app)[0].status == "payout_failed"
    status, _given = give(same, sort_code="20-29-59", account_number="63748472")
    assert status == 302
    [claim] = _claims(app)
    assert (claim.status, claim.payout_method, claim.payout_sort_code,
            claim.payout_account_number, claim.payout_iban) == (
        "approved", "uk-account", "202959", "63748472", None)

    assert runner.invoke(args=["payouts", "run"]).exit_code == 0
    [line] = (Path(app.instance_path) / "payouts" / "test-rail-run-000002.txt"
              ).read_text().splitlines()
    assert line[0:14] == "202959" "63748472"
