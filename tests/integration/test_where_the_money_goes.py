"""Money only where the passenger said, and every page and letter says where (issue 16):
no "account on file" that is not there, no voucher the passenger did not choose, "will be
paid to" until the payout run has paid."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from claims.core.vocabulary import Direction
from claims.db.models import Booking, Claim, Payout
from claims.operators import accounts
from claims.passengers import filing
from claims.processing.payouts import run_payouts
from tests.helpers import (
    count,
    create_operator,
    csrf_token,
    hidden_fields,
    load,
    look_up,
    run_worker,
    submit,
)
from tests.records import arrival, rail_booking

OWN_IBAN = "DE89370400440532013000"


def _operator(app: Flask) -> None:
    create_operator(app)
    accounts.configure_operator(app.extensions["effortless"].session_factory, "test-rail",
                                payout_account_name="Test Rail",
                                payout_account_iban="DE02120300000000202051")


def _pay(app: Flask) -> None:
    current = app.extensions["effortless"]
    _runs, problems = run_payouts(current.session_factory,
                                  current.settings.instance_path / "payouts")
    assert not problems


def _letter_text(client: object, status_url: str) -> str:
    letter = client.get(status_url + "/letter.pdf")  # type: ignore[attr-defined]
    assert letter.status_code == 200
    return " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(letter.data)).pages).split())


def test_without_an_account_on_file_the_passenger_chooses_and_it_is_kept(app: Flask) -> None:
    _operator(app)
    no_account = rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})
    no_account.pop("payment")
    load(app, [no_account], [arrival()])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    form = client.get("/claim").get_data(as_text=True)
    assert "To the account on file" not in form
    # Forged: the account on file that is not there.
    forged = client.post("/claim", data={"csrf_token": csrf_token(form),
                                         "passenger_name": "Hans Müller", "payout": "account"})
    assert forged.status_code == 422
    empty = submit(client, payout="iban", iban="", account_holder="Hans Müller")
    assert empty.status_code == 422 and "Enter the IBAN" in empty.get_data(as_text=True)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    with pytest.raises(filing.NoAccountOnFile):
        filing.submit_claims(factory, booking_id, [Direction.OUTBOUND], filing.ClaimInput(
            passenger_name="Hans Müller", passenger_email=None, arrived_with_service=None,
            statement=None, language="en", payout_method="account"), effort={})

    status_url = submit(client, payout="voucher").location
    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "Paid as a travel voucher, as you chose" in page
    assert "Paid as a travel voucher, as you chose" in _letter_text(client, status_url)
    _pay(app)
    assert "Paid as a travel voucher: its code is in your e-mail." in client.get(
        status_url).get_data(as_text=True)


def test_an_account_gone_before_the_payout_run_is_asked_for_not_turned_into_a_voucher(
        app: Flask) -> None:
    _operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    run_worker(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "To be paid by bank transfer to DE02 **** **** **** 2051" in page
    assert "To be paid by bank transfer to DE02" in _letter_text(client, status_url)
    # The operator's data change: the booking comes again without its account.
    again = rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})
    again.pop("payment")
    load(app, [again])
    _pay(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert (claim.status, claim.requested_info) == ("info_requested", "iban")
        assert "no-payout-account" in (claim.reason_codes or [])
        assert session.scalars(select(Payout)).all() == []
    page = client.get(status_url).get_data(as_text=True)
    assert "we have no account to pay you to" in page and 'name="iban"' in page
    answered = client.post(status_url + "/info", data={
        "csrf_token": csrf_token(page), "iban": OWN_IBAN, "account_holder": "Hans Müller"})
    assert answered.status_code == 302
    with factory() as session:
        assert session.scalars(select(Claim.status)).one() == "approved"
    _pay(app)
    with factory() as session:
        payout = session.scalars(select(Payout)).one()
        assert (payout.method, payout.iban) == ("iban", OWN_IBAN)
    paid = client.get(status_url).get_data(as_text=True)
    assert "Paid by bank transfer to DE89 **** **** **** 3000" in paid


def test_what_changed_between_the_form_and_its_submit_is_checked_again(app: Flask) -> None:
    """The submit is checked against what the form page showed (its choices sent back
    with it, so the booking is read once), and then again in the submit's own statement:
    an account gone from the booking meanwhile is refused with the form's message; a
    journey claimed from another tab meanwhile leads to that claim, not to a second one."""
    _operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    factory = app.extensions["effortless"].session_factory
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    form = client.get("/claim").get_data(as_text=True)
    assert "To the account on file" in form
    with factory.begin() as session:
        session.scalars(select(Booking)).one().payment_iban = None
    refused = client.post("/claim", data={**hidden_fields(form),
                                          "passenger_name": "Hans Müller", "payout": "account"})
    assert refused.status_code == 422
    assert "Choose how we should pay you" in refused.get_data(as_text=True)
    assert count(app, Claim) == 0

    other_tab = app.test_client()
    look_up(other_tab, "Q7K2LM", "Müller")
    first = submit(other_tab, payout="voucher")
    assert first.status_code == 302
    again = client.post("/claim", data={**hidden_fields(form),
                                        "passenger_name": "Hans Müller", "payout": "voucher"})
    assert again.status_code == 302 and "/status/" in again.location
    assert count(app, Claim) == 1
    assert client.get(again.location).status_code == 200
