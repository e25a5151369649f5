"""The passenger's right to erasure, by staff on request, and the retention job (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from claims.db.models import Booking, Claim, ClaimEffort, ClaimEvent, Payout
from claims.db.types import utcnow
from claims.operators import accounts
from claims.processing.erasure import delete_old_payment_files as erase_old_files
from claims.processing.erasure import erase_expired
from claims.processing.payouts import run_payouts
from claims.reporting import effort_store
from tests.helpers import (
    csrf_token,
    file_clear_claim,
    look_up,
    sign_in,
)
from workflows.pipeline import erase_expired_data

PASSWORD = "correct horse battery staple"


def _approved_claim(app: Flask) -> tuple[int, str]:
    client, status_url = file_clear_claim(app)
    assert client.get(status_url + "/letter.pdf").status_code == 200
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert claim.status == "approved"
        return claim.id, status_url


def _pay(app: Flask) -> None:
    current = app.extensions["effortless"]
    accounts.configure_operator(current.session_factory, "test-rail",
                                payout_account_name="Test Rail",
                                payout_account_iban="DE89370400440532013000")
    _runs, problems = run_payouts(current.session_factory,
                                  current.settings.instance_path / "payouts")
    assert not problems


def test_staff_erase_a_passengers_data_on_request(app: Flask) -> None:
    claim_id, status_url = _approved_claim(app)
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    # Not yet paid: erasing would lose the payment.
    page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert "once the claim is decided and paid" in page and 'id="erase"' not in page
    refused = clerk.post(f"/clerk/claims/{claim_id}/erase",
                         data={"csrf_token": csrf_token(page), "confirmed": "y"})
    assert refused.status_code == 409 and "still open" in refused.get_data(as_text=True)

    _pay(app)
    page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert 'id="erase"' in page
    unconfirmed = clerk.post(f"/clerk/claims/{claim_id}/erase",
                             data={"csrf_token": csrf_token(page)})
    assert unconfirmed.status_code == 422
    assert "erasing cannot be undone" in unconfirmed.get_data(as_text=True)
    done = clerk.post(f"/clerk/claims/{claim_id}/erase",
                      data={"csrf_token": csrf_token(page), "confirmed": "y"},
                      follow_redirects=True)
    text = done.get_data(as_text=True)
    assert f"Personal data erased from claims #{claim_id}" in text
    assert "Hans Müller" not in text and "hans@example.org" not in text
    assert "Personal data erased" in text  # the timeline says so

    with factory() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        assert (claim.passenger_name, claim.passenger_email, claim.statement,
                claim.payout_iban, claim.payout_holder) == ("–", None, None, None, None)
        assert claim.erased_at is not None
        # What the books and the reports need stays.
        assert claim.status == "paid"
        payout = session.scalars(select(Payout)).one()
        assert (payout.iban, payout.holder, payout.amount) == (None, None, claim.amount)
        assert claim.amount and claim.amount > 0
        booking = session.scalars(select(Booking)).one()
        assert (booking.passenger_name, booking.passenger_email, booking.payment_iban) == (
            "–", None, None)
        event = session.scalars(select(ClaimEvent).where(
            ClaimEvent.kind == "personal_data_erased")).one()
        assert event.actor == "clerk" and event.actor_id is not None
    effort_store.refresh(factory)
    with factory() as session:
        assert session.get(ClaimEffort, claim_id) is not None
    # The passenger's link and the look-up by surname open nothing any more; no letter kept.
    passenger = app.test_client()
    assert passenger.get(status_url).status_code == 404
    assert look_up(passenger, "Q7K2LM", "Müller").status_code == 404
    assert not list((Path(app.instance_path) / "letters").glob(f"claim-{claim_id}-*"))


def test_the_retention_job_erases_closed_claims_after_the_period(app: Flask) -> None:
    claim_id, _status_url = _approved_claim(app)
    current = app.extensions["effortless"]
    factory = current.session_factory
    later = utcnow() + timedelta(days=1096)
    # Approved, not paid: still open, kept however old.
    assert erase_expired(factory, now=later).claim_ids == ()
    _pay(app)
    # Paid just now: within the period.
    assert erase_expired(factory).claim_ids == ()
    assert erase_expired(factory, now=later).claim_ids == (claim_id,)
    with factory() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None and claim.passenger_name == "–" and claim.erased_at
        assert session.scalars(select(Booking.passenger_name)).one() == "–"
        assert session.scalars(select(ClaimEvent.actor).where(
            ClaimEvent.kind == "personal_data_erased")).one() == "system"
    payment_files = list((Path(app.instance_path) / "payouts").iterdir())
    assert payment_files
    assert erase_old_files(Path(app.instance_path) / "payouts", now=later) == len(payment_files)
    assert not list((Path(app.instance_path) / "payouts").iterdir())
    # Once erased, never again.
    assert erase_expired(factory, now=later + timedelta(days=1)).claim_ids == ()
    # The sweepers call it at most once an hour between them; the CLI any time.
    current.redis.delete("effortless:retention-ran")
    assert erase_expired_data(factory, current.settings, current.redis) == 0
    assert not current.redis.set("effortless:retention-ran", 1, nx=True)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "0 closed or unanswered claims erased" in result.output
