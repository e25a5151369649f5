"""Money: each journey decided once, whatever starts it, every amount through one policy,
and a payout run that never stops for one claim. Each test is a finding of the review of
4f3347b (issue 42), reproduced as the reviewer did it."""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from claims.clerks import decisions, review
from claims.db.models import Booking, Claim, JourneyCheck, Payout, PayoutRun, User
from claims.operators import accounts
from claims.operators.imports import import_bookings
from claims.passengers.manual import ManualClaimInput, file_manual_claim
from claims.passengers.offers import Acceptance, accept_offer
from claims.processing import payouts
from claims.processing.erasure import erase_on_request
from claims.processing.notices import notices_due
from tests.helpers import create_operator, file_claim, load, look_up, run_worker, sign_in
from tests.records import DAY, arrival, rail_booking
from workflows.queues import dispatch_due

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PASSWORD = "a-long-clerk-password-2026"


def _factory(app: Flask) -> Any:
    return app.extensions["effortless"].session_factory


def _operator(app: Flask, mode: str, **configuration: str) -> str:
    key = create_operator(app)
    accounts.configure_operator(_factory(app), "test-rail", proactive_mode=mode,
                                payout_account_name="Test Rail",
                                payout_account_iban="DE89370400440532013000", **configuration)
    return key


def _clerk(app: Flask, email: str = "anna@example.org") -> int:
    accounts.create_user(_factory(app), email, "clerk", PASSWORD)
    with _factory(app)() as session:
        return int(session.scalars(select(User.id).where(User.email == email)).one())


def _bookings(app: Flask, *records: dict[str, Any]) -> None:
    report = import_bookings(_factory(app), enumerate(records, start=1))
    assert not report.rejected, report.rejected


def _delays(app: Flask, key: str, *records: dict[str, Any]) -> None:
    response = app.test_client().post(
        "/api/v1/operations", data="\n".join(json.dumps(r) for r in records),
        headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    run_worker(app)


def _pay(app: Flask) -> list[payouts.RunSummary]:
    current = app.extensions["effortless"]
    runs, problems = payouts.run_payouts(current.session_factory,
                                         current.settings.instance_path / "payouts")
    assert not problems, problems
    return runs


def _claims(app: Flask) -> list[Claim]:
    with _factory(app)() as session:
        return list(session.scalars(select(Claim).order_by(Claim.id)))


def _paid(app: Flask) -> list[tuple[int, int, Decimal]]:
    with _factory(app)() as session:
        return [(p.claim_id, p.part, p.amount) for p in session.scalars(
            select(Payout).order_by(Payout.claim_id, Payout.part))]


def _manual_claim(app: Flask) -> int:
    """Erika files without her booking reference, for the IC 2013 of DAY, 74 min late."""
    data = ManualClaimInput(
        operator="test-rail", service="IC 2013", origin="Mannheim Hbf",
        destination="Stuttgart Hbf", travel_date=date.fromisoformat(DAY),
        scheduled_arrival=time(11, 44), actual_arrival=time(12, 58), price=Decimal("79.00"),
        passenger_name="Erika Mustermann", passenger_email="erika@example.org",
        payout_method="iban", payout_iban="DE44500105175407324931",
        payout_holder="Erika Mustermann", statement=None, language="en")
    claim_id = file_manual_claim(_factory(app), Path(app.instance_path) / "uploads", data, PDF,
                                 typed_fields=11)
    dispatch_due(app.extensions["effortless"].redis, claim_id)
    run_worker(app)
    return claim_id


@pytest.mark.parametrize("mode", ["pay", "offer"])
@pytest.mark.parametrize("clerk_first", [True, False])
def test_a_journey_claimed_without_its_booking_gets_no_second_payment_or_offer(
        app: Flask, mode: str, clerk_first: bool) -> None:
    key = _operator(app, mode)
    manual = _manual_claim(app)
    if clerk_first:  # approved and paid before the operator's data arrive
        decisions.approve(_factory(app), manual, _clerk(app), amount=Decimal("19.75"),
                          note="Ticket checked")
        _pay(app)
    # The operator's booking and the late arrival come in: the proactive check finds the
    # journey claimed on the other path and joins that claim.
    _bookings(app, rail_booking())
    _delays(app, key, arrival())
    _pay(app)
    assert [c.id for c in _claims(app)] == [manual]
    assert _paid(app) == ([(manual, 0, Decimal("19.75"))] if clerk_first else [])
    with _factory(app)() as session:
        check = session.scalars(select(JourneyCheck)).one()
    assert (check.outcome, check.claim_id) == ("claimed", manual)


def test_a_second_booking_of_the_same_passenger_on_the_same_train_is_not_paid_again(
        app: Flask, client: Any) -> None:
    key = _operator(app, "pay")
    _bookings(app, rail_booking("FIRST1"), rail_booking("AGAIN2"))
    _delays(app, key, arrival())
    # One payment for the journey; the other booking is invited to file, for a clerk.
    [first] = _claims(app)
    assert first.status == "approved"
    with _factory(app)() as session:
        outcomes = {reference: outcome for reference, outcome in session.execute(select(
            Booking.reference, JourneyCheck.outcome).join(
            JourneyCheck, JourneyCheck.booking_id == Booking.id)).all()}
    assert outcomes == {"FIRST1": "paid", "AGAIN2": "invited"}
    file_claim(app, "AGAIN2", "Mustermann")
    run_worker(app)
    _pay(app)
    second = _claims(app)[1]
    assert (second.status, second.twin_claim_id) == ("needs_review", first.id)
    assert "possible-duplicate" in (second.reason_codes or [])
    assert _paid(app) == [(first.id, 0, Decimal("19.75"))]
    # The clerk sees the twin beside it, in words.
    _clerk(app)
    sign_in(client, "anna@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{second.id}").get_data(as_text=True)
    assert f'href="/clerk/claims/{first.id}"' in page
    assert "Erika Mustermann: paid (the same journey: a possible duplicate)" in page


def test_a_top_up_over_the_limit_waits_for_two_people(app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app, rail_booking(fare={"amount": "2000.00", "currency": "EUR",
                                      "kind": "single"}))
    _delays(app, key, arrival(actual=f"{DAY}T12:44:00+01:00"))  # 60 min: 25 % = 500
    _pay(app)
    assert _paid(app) == [(1, 0, Decimal("500.00"))]
    # 150 minutes after all: 50 % = 1,000, over the 600 automatic limit and over the
    # four-eyes limit. No top-up without the two persons the policy asks for.
    _delays(app, key, arrival(actual=f"{DAY}T14:14:00+01:00"))
    [claim] = _claims(app)
    assert (claim.status, claim.amount) == ("needs_review", Decimal("1000.00"))
    assert "amount-over-limit" in (claim.reason_codes or [])
    _pay(app)
    assert _paid(app) == [(1, 0, Decimal("500.00"))]

    anna, bert = _clerk(app), _clerk(app, "bert@example.org")
    with pytest.raises(review.ReviewError) as refused:
        decisions.reject(_factory(app), claim.id, anna, reason="not-eligible")
    assert refused.value.code == review.Refusal.BELOW_AMOUNT_PAID
    assert decisions.approve(_factory(app), claim.id, anna, amount=Decimal("1000.00")
                             ) == decisions.Approval.AWAITING_SECOND
    _pay(app)
    assert _paid(app) == [(1, 0, Decimal("500.00"))]
    assert decisions.approve(_factory(app), claim.id, bert, amount=Decimal("1000.00")
                             ) == decisions.Approval.APPROVED
    _pay(app)
    _pay(app)
    assert _paid(app) == [(1, 0, Decimal("500.00")), (1, 1, Decimal("500.00"))]
    assert _claims(app)[0].status == "paid"


def test_a_raise_within_the_limit_is_paid_as_the_difference(app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app, rail_booking())
    _delays(app, key, arrival())
    _pay(app)
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))
    _pay(app)
    assert _paid(app) == [(1, 0, Decimal("19.75")), (1, 1, Decimal("19.75"))]


def test_the_cohort_page_is_no_side_door_around_four_eyes(app: Flask) -> None:
    # The operator lets the rules pay up to 2,000, but a clerk above 600 needs a second.
    create_operator(app)
    accounts.configure_operator(_factory(app), "test-rail", auto_approve_limit="2000.00")
    expensive = {"amount": "2000.00", "currency": "EUR", "kind": "single"}
    _bookings(app, rail_booking("BIG001", fare=expensive,
                                passenger={"name": "Anna Koch", "email": "a@example.org"}),
              rail_booking("BIG002", fare=expensive,
                           passenger={"name": "Ben Wolf", "email": "b@example.org"}))
    load(app, [], [arrival(actual=f"{DAY}T14:14:00+01:00")])  # 150 min: 1,000 each
    file_claim(app, "BIG001", "Koch", statement="It was a strike, not the weather")
    file_claim(app, "BIG002", "Wolf", statement="Later than shown")
    run_worker(app)
    first, second = _claims(app)
    # The rules do not pay what one clerk could not approve alone.
    assert "amount-over-limit" in (first.reason_codes or [])
    anna = _clerk(app)
    decisions.approve(_factory(app), first.id, anna, amount=Decimal("1000.00"))
    # Even with both passengers' statements read and both claims chosen.
    result = decisions.decide_cohort(_factory(app), [first.id, second.id], anna,
                                     cause="technical",
                                     statements_read={first.id, second.id})
    assert result.decided == ()
    assert {c.status for c in _claims(app)} == {"needs_review"}


def test_a_withdrawn_offer_is_made_again_when_the_data_make_it_due(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking())
    _delays(app, key, arrival())                                   # 74 min: offered
    _delays(app, key, arrival(actual=f"{DAY}T12:20:00+01:00"))     # 36 min: withdrawn
    assert _claims(app)[0].status == "withdrawn"
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))     # 134 min: due again
    [claim] = _claims(app)
    assert (claim.status, claim.amount) == ("offered", Decimal("39.50"))
    client = app.test_client()
    found = look_up(client, "Q7K2LM", "Mustermann")  # straight to the offer
    page = client.get(found.location).get_data(as_text=True)
    assert "offers you 39.50 EUR" in page


def test_a_passengers_own_withdrawal_stands(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking())
    _delays(app, key, arrival())
    from claims.passengers.filing import withdraw_claim
    withdraw_claim(_factory(app), _claims(app)[0].id)
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))
    assert _claims(app)[0].status == "withdrawn"


def _files_hold_every_paid_claim(app: Flask) -> None:
    """A claim is paid only with its line in a written file (or a voucher)."""
    with _factory(app)() as session:
        unwritten = session.scalar(select(func.count(Payout.id)).join(
            PayoutRun, PayoutRun.id == Payout.run_id).where(
            PayoutRun.file_name.is_(None), Payout.method != "voucher"))
    assert unwritten == 0


def test_an_approved_offer_with_nowhere_to_pay_goes_to_a_clerk_and_the_run_goes_on(
        app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking(payment=None))
    _delays(app, key, arrival())
    offered = _claims(app)[0]
    assert offered.payout_method == "none"
    # Corrected data take the offer over the limit: a clerk has it, and approves it.
    accounts.configure_operator(_factory(app), "test-rail", auto_approve_limit="10.00")
    _delays(app, key, arrival(actual=f"{DAY}T12:59:00+01:00"))
    decisions.approve(_factory(app), offered.id, _clerk(app), amount=Decimal("19.75"))
    # Another passenger, another train, an offer accepted: due in the same run.
    accounts.configure_operator(_factory(app), "test-rail", auto_approve_limit="600.00")
    other_leg = {**rail_booking()["legs"][-1], "service": "IC 2015"}
    _bookings(app, rail_booking("OTHER1", passenger={"name": "Olaf Other",
                                                     "email": "olaf@example.org"},
                                legs=[other_leg]))
    _delays(app, key, arrival(service="IC 2015"))
    other = _claims(app)[1]
    accept_offer(_factory(app), other.id, Acceptance(payout_method="account"))
    for _ in range(2):  # run after run: no stop, nothing paid twice
        _pay(app)
    held, paid = _claims(app)
    assert held.status == "needs_review"
    assert "no-payout-account" in (held.reason_codes or [])
    assert paid.status == "paid"
    assert _paid(app) == [(other.id, 0, Decimal("19.75"))]
    _files_hold_every_paid_claim(app)


def test_an_erased_claim_topped_up_is_held_and_nobody_else_is_told_of_a_missing_file(
        app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app, rail_booking(),
              rail_booking("OTHER1", passenger={"name": "Olaf Other",
                                                "email": "olaf@example.org"}))
    _delays(app, key, arrival())
    _pay(app)
    erika = _claims(app)[0]
    erase_on_request(_factory(app), erika.id, staff_id=_clerk(app))
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))   # raised to 39.50
    runs = _pay(app)
    assert runs == [] or all(erika.id not in run.claim_ids for run in runs)
    held = {c.id: c for c in _claims(app)}[erika.id]
    assert (held.status, held.reason_codes) == ("needs_review", ["payout-not-possible"])
    _files_hold_every_paid_claim(app)
    assert all(kind != "payout" or claim_id != erika.id
               for claim_id, kind in notices_due(_factory(app)))


def test_nothing_is_paid_without_a_file_to_carry_it(app: Flask) -> None:
    create_operator(app)
    _bookings(app, rail_booking())
    load(app, [], [arrival()])
    file_claim(app, "Q7K2LM", "Mustermann")
    run_worker(app)
    current = app.extensions["effortless"]
    runs, problems = payouts.run_payouts(current.session_factory,
                                         current.settings.instance_path / "payouts")
    assert runs == [] and problems == [
        "operator test-rail has no payout account: flask --app wsgi operators configure "
        "test-rail --payout-account-iban ... --payout-account-name ..."]
    assert notices_due(_factory(app)) == [] or all(
        kind != "payout" for _claim, kind in notices_due(_factory(app)))
    with _factory(app)() as session:
        assert session.scalars(select(Booking.id)).all() == [1]
        assert session.scalars(select(Claim.status)).one() == "approved"


def test_two_twins_decided_at_the_same_instant_are_paid_once(app: Flask) -> None:
    """Two workers decide the same passenger's two bookings of one train in the same
    instant, each before the other's claim is committed: the payout run pays one."""
    _operator(app, "off")
    _bookings(app, rail_booking("FIRST1"), rail_booking("AGAIN2"))
    load(app, [], [arrival()])
    file_claim(app, "FIRST1", "Mustermann")
    file_claim(app, "AGAIN2", "Mustermann")
    with _factory(app).begin() as session:  # what the race leaves: both approved alone
        for claim in session.scalars(select(Claim)):
            claim.status, claim.amount, claim.currency = "approved", Decimal("19.75"), "EUR"
            claim.eligible = True
    _pay(app)
    first, second = _claims(app)
    assert first.status == "paid"
    assert (second.status, second.twin_claim_id) == ("needs_review", first.id)
    assert second.reason_codes == ["possible-duplicate"]
    assert _paid(app) == [(first.id, 0, Decimal("19.75"))]
    # A person who looked and approved it anyway, saying why (two tickets bought): paid.
    anna = _clerk(app)
    with pytest.raises(review.ReviewError) as refused:
        decisions.approve(_factory(app), second.id, anna, amount=Decimal("19.75"))
    assert refused.value.code == review.Refusal.TWIN_PAID_NEEDS_REASON
    decisions.approve(_factory(app), second.id, anna, amount=Decimal("19.75"),
                      note="Two tickets bought, both used")
    _pay(app)
    assert [c.status for c in _claims(app)] == ["paid", "paid"]


def test_an_offer_accepted_after_the_limit_was_lowered_goes_to_a_clerk(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking())
    _delays(app, key, arrival())
    accounts.configure_operator(_factory(app), "test-rail", auto_approve_limit="10.00")
    [offer] = _claims(app)
    assert accept_offer(_factory(app), offer.id, Acceptance("account")) == "needs_review"
    assert _claims(app)[0].reason_codes == ["amount-over-limit"]
    _pay(app)
    assert _paid(app) == []
