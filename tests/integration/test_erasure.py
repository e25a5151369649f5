"""The passenger's right to erasure, by staff on request, and the retention job (issue 14)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from claims.core.vocabulary import ClaimStatus
from claims.db.models import Booking, Claim, ClaimEffort, ClaimEvent, Operator, Payout
from claims.db.types import utcnow
from claims.operators import accounts
from claims.processing.erasure import CLOSED, UNANSWERED, erase_expired
from claims.processing.erasure import delete_old_payment_files as erase_old_files
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


# A journey of one booking: no claim (None), or a claim in this status; and how many
# days ago the last thing happened to it.
JOURNEY = st.tuples(st.one_of(st.none(), st.sampled_from(ClaimStatus)),
                    st.one_of(st.integers(min_value=0, max_value=1093),
                              st.integers(min_value=1097, max_value=4000)))
_references = itertools.count()


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bookings=st.lists(st.lists(JOURNEY, min_size=1, max_size=2), min_size=1, max_size=4))
def test_retention_erases_what_is_closed_or_unanswered_and_untouched_for_the_period(
        app: Flask, bookings: list[list[tuple[ClaimStatus | None, int]]]) -> None:
    """A claim goes when it is closed or waits for a passenger who never answered, and
    nothing happened to it for RETENTION_DAYS; a booking goes with the last of its claims,
    or, never claimed, when nothing happened to it for as long. Nothing else goes."""
    factory = app.extensions["effortless"].session_factory
    now = utcnow()
    with factory() as session:
        known = session.scalars(select(Operator.id)).first()
    if known is None:  # the first example of the test's database
        accounts.create_operator(factory, "test-rail", "Test Rail", "eu-rail")
    expected_claims: dict[int, bool] = {}
    expected_bookings: dict[int, bool] = {}
    with factory.begin() as session:
        operator_id = session.scalars(select(Operator.id)).one()
        for journeys in bookings:
            oldest = max(days for _status, days in journeys)
            booking = Booking(operator_id=operator_id, reference=f"R{next(_references)}",
                              regime="eu-rail", passenger_name="Ida Olt",
                              passenger_email="ida@example.org", fare_amount=Decimal("10"),
                              fare_currency="EUR", fare_kind="single",
                              payment_iban="DE02120300000000202051",
                              imported_at=now - timedelta(days=oldest))
            session.add(booking)
            session.flush()
            claims = []
            for direction, (status, days) in zip(("outbound", "return"), journeys,
                                                 strict=False):
                at = now - timedelta(days=days)
                if status is None:
                    # Looked up, never claimed.
                    session.add(ClaimEvent(kind="booking_found", actor="passenger",
                                           booking_id=booking.id, at=at, counts={}))
                    continue
                claim = Claim(operator_id=operator_id, booking_id=booking.id,
                              direction=direction, regime="eu-rail", status=status,
                              passenger_name="Ida Olt", passenger_email="ida@example.org",
                              submitted_at=at)
                session.add(claim)
                session.flush()
                session.add(ClaimEvent(kind="claim_submitted", actor="passenger",
                                       claim_id=claim.id, booking_id=booking.id, at=at,
                                       counts={}))
                old = days > 1095
                expected_claims[claim.id] = old and status in CLOSED | UNANSWERED
                claims.append(claim.id)
            expected_bookings[booking.id] = (
                all(expected_claims[c] for c in claims) if claims
                else all(days > 1095 for _status, days in journeys))
    while erase_expired(factory, now=now):
        pass
    with factory() as session:
        erased_claims = {c.id: c.erased_at is not None for c in session.scalars(
            select(Claim).where(Claim.id.in_(expected_claims)))}
        erased_bookings = {b.id: b.passenger_name == "–" and b.payment_iban is None
                           for b in session.scalars(
                               select(Booking).where(Booking.id.in_(expected_bookings)))}
    assert erased_claims == expected_claims
    assert erased_bookings == expected_bookings
