"""Decisions on the right data, the right amount and the right person (issue 12): each
case here once came out wrong."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from claims.clerks import decisions, review
from claims.core.vocabulary import Direction, EventKind, NoticeKind
from claims.db.models import Booking, Claim, ClaimEvent, User
from claims.operators import accounts
from claims.passengers import answers, filing
from claims.processing.assessment import assess_claims
from claims.processing.notices import mark_sent, notices_due, pending_notice
from claims.processing.payouts import run_payouts
from common.numbers import format_number
from portal import create_app
from tests.helpers import (
    create_operator,
    csrf_token,
    load,
    look_up,
    run_worker,
    sign_in,
    status_path,
)
from tests.records import DAY, arrival, rail_booking
from workflows.mail import compose


def _file(app: Flask, reference: str, operator: str, name: str) -> int:
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id).where(
            Booking.reference == reference)).one()
    return filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name=name, passenger_email=None, arrived_with_service=None,
        statement=None, language="en"), effort={}).claim_id


def _claim(app: Flask, claim_id: int) -> Claim:
    with app.extensions["effortless"].session_factory() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        return claim


def test_one_operators_operations_data_never_decide_another_operators_claims(
        app: Flask) -> None:
    create_operator(app, "alpha-rail")
    create_operator(app, "beta-rail")
    leg = {**rail_booking()["legs"][-1], "service": "RE 1", "destination": "Berlin Hbf"}
    load(app, [rail_booking("ALPHA1", operator="alpha-rail", legs=[leg],
                            passenger={"name": "Ada Alpha"}),
               rail_booking("BETA01", operator="beta-rail", legs=[leg],
                            passenger={"name": "Ben Beta"})],
         # Only Alpha's RE 1 was late at Berlin Hbf; Beta has sent no data yet.
         [{**arrival(service="RE 1", stop="Berlin Hbf"), "operator": "alpha-rail"}])
    alpha = _file(app, "ALPHA1", "alpha-rail", "Ada Alpha")
    beta = _file(app, "BETA01", "beta-rail", "Ben Beta")
    assess_claims(app.extensions["effortless"].session_factory, [alpha, beta])  # one batch
    assert (_claim(app, alpha).status, _claim(app, alpha).amount) == (
        "approved", Decimal("19.75"))
    beta_claim = _claim(app, beta)
    assert (beta_claim.status, beta_claim.reason_codes) == (
        "needs_review", ["no-operations-data"])


def test_a_minimum_payout_of_zero_is_no_threshold_not_the_default(
        app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    """Art. 19(8) allows "no threshold": 0.00 is a real value, not "use 4.00"."""
    small = {"regime": "eu-rail", "scheduled_arrival": "2026-03-02T11:44:00+01:00",
             "actual_arrival": "2026-03-02T12:49:00+01:00",
             "fare": {"amount": "10.00", "currency": "EUR", "kind": "single"}}
    assert client.post("/api/v1/assessments", json=small).json["rule"] == "eu-rail.19-8"
    free = client.post("/api/v1/assessments", json={**small, "minimum_payout": "0.00"}).json
    assert (free["eligible"], free["amount"]) == (True, "2.50")

    create_operator(app)
    assert runner.invoke(args=["operators", "configure", "test-rail",
                               "--minimum-payout", "0.00"]).exit_code == 0
    load(app, [rail_booking("SMALL1", fare={"amount": "10.00", "currency": "EUR",
                                            "kind": "single"})], [arrival()])
    claim_id = _file(app, "SMALL1", "test-rail", "Erika Mustermann")
    assess_claims(app.extensions["effortless"].session_factory, [claim_id])
    claim = _claim(app, claim_id)
    assert (claim.status, claim.amount) == ("approved", Decimal("2.50"))


def test_a_clerk_amount_with_more_than_two_decimals_is_refused(
        app: Flask, client: FlaskClient) -> None:
    claim_id = _needs_review(app, "CENTS1")
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", PASSWORD)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    refused = client.post(f"/clerk/claims/{claim_id}/approve", data={
        "csrf_token": csrf_token(page), "amount": "25.999", "note": "Taxi"})
    assert refused.status_code == 422
    assert "Enter an amount above zero, such as 19.75." in refused.get_data(as_text=True)
    assert _claim(app, claim_id).status == "needs_review"


PASSWORD = "a-long-password"
_counter = iter(range(10_000))


def _needs_review(app: Flask, reference: str) -> int:
    """A late train whose passenger says it was otherwise: a clerk decides."""
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        operator_exists = session.scalars(select(Booking.id).limit(1)).first() is not None
    if not operator_exists:
        create_operator(app)
    load(app, [rail_booking(reference)], [arrival()])
    with factory() as session:
        booking_id = session.scalars(select(Booking.id).where(
            Booking.reference == reference)).one()
    claim_id = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Erika Mustermann", passenger_email="erika@example.org",
        arrived_with_service=None, statement="It was later", language="en"),
        effort={}).claim_id
    assess_claims(factory, [claim_id])
    return claim_id


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.999"),
                         places=3))
def test_an_amount_is_the_same_cents_in_the_database_the_email_and_the_sepa_file(
        app: Flask, runner: FlaskCliRunner, typed: Decimal) -> None:
    factory = app.extensions["effortless"].session_factory
    settings_ = app.extensions["effortless"].settings
    claim_id = _needs_review(app, f"AMT{next(_counter):03d}")
    # One person approves any amount here: this test is about cents, not about persons.
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                        "Test Rail", "--payout-account-iban", "DE89 3704 0044 0532 0130 00",
                        "--second-approval-above", "10000.00"])
    with factory() as session:
        clerk = session.scalars(select(User.id)).first()
    if clerk is None:
        accounts.create_user(factory, "cents@example.org", "clerk", PASSWORD)
        with factory() as session:
            clerk = session.scalars(select(User.id)).one()
    try:
        decisions.approve(factory, claim_id, clerk, amount=typed, note="as agreed")
    except review.ReviewError as refused:
        # Only an amount with a third decimal is refused, and then nothing is stored.
        assert typed != typed.quantize(Decimal("0.01"))
        assert refused.code == review.Refusal.AMOUNT_NOT_CENTS
        assert _claim(app, claim_id).status == "needs_review"
        return
    cents = typed.quantize(Decimal("0.01"))
    assert typed == cents
    assert _claim(app, claim_id).amount == cents
    letter = app.test_client().get(
        status_path(app, claim_id) + "/letter.pdf")
    assert letter.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.data)).pages)
    assert f"we pay you {format_number(cents, 'en')} EUR" in " ".join(text.split())
    notice = pending_notice(factory, claim_id, NoticeKind.DECISION)
    assert notice is not None
    mail = compose(notice, settings_, "token").get_content()
    assert f"we pay you {format_number(cents, 'en')} EUR" in mail
    summaries, problems = run_payouts(factory, settings_.instance_path / "payouts")
    assert not problems
    [run] = [s for s in summaries if claim_id in s.claim_ids]
    assert run.file is not None
    sepa = (settings_.instance_path / "payouts" / run.file).read_text(encoding="utf-8")
    assert f'<InstdAmt Ccy="EUR">{cents}</InstdAmt>' in sepa


def _file_with_iban(app: Flask, reference: str, iban: str, holder: str) -> Claim:
    surname = reference.title()
    client = app.test_client()
    look_up(client, reference, surname)
    page = client.get("/claim").get_data(as_text=True)
    response = client.post("/claim", data={
        "csrf_token": csrf_token(page), "passenger_name": f"Erika {surname}",
        "passenger_email": "erika@example.org", "payout": "iban", "iban": iban,
        "account_holder": holder})
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        return session.scalars(select(Claim).join(Claim.booking).where(
            Booking.reference == reference)).one()


def test_money_goes_to_a_typed_account_only_after_a_clerk_looked(app: Flask) -> None:
    """Whoever finds a booking can file for it: an IBAN typed over the one on file, or an
    account in another person's name, is not paid automatically."""
    create_operator(app)
    bookings = []
    for reference, on_file in (("ONFILE", True), ("SAMEAC", True), ("NOACCT", False),
                               ("OWNACC", False)):
        booking = rail_booking(reference, passenger={"name": f"Erika {reference.title()}"})
        if not on_file:
            del booking["payment"]
        bookings.append(booking)
    load(app, bookings, [arrival()])
    diverted = _file_with_iban(app, "ONFILE", "DE89 3704 0044 0532 0130 00", "Erika Onfile")
    assert (diverted.status, diverted.reason_codes) == (
        "needs_review", ["payout-account-changed"])
    same = _file_with_iban(app, "SAMEAC", "DE02 1203 0000 0000 2020 51", "Erika Sameac")
    assert same.status == "approved"
    stranger = _file_with_iban(app, "NOACCT", "DE89 3704 0044 0532 0130 00", "Mallory Thief")
    assert (stranger.status, stranger.reason_codes) == (
        "needs_review", ["payout-holder-differs"])
    own = _file_with_iban(app, "OWNACC", "DE89 3704 0044 0532 0130 00", "Erika Ownacc")
    assert own.status == "approved"


def test_the_lookup_limit_per_booking_counts_every_spelling_of_its_reference(
        settings_overrides: dict[str, Any]) -> None:
    app = create_app({**settings_overrides, "RATELIMIT_ENABLED": "true"})
    try:
        create_operator(app)
        load(app, [rail_booking("DEMO01")])
        full_width = "\uff24\uff25\uff2d\uff2f\uff10\uff11"
        spellings = ["DEMO-01", "d.e.m.o.0.1", full_width, "demo 01", " Demo01 "]
        answers = []
        for index in range(12):
            client = app.test_client()  # a new visitor each time: only the booking is shared
            answers.append(look_up(client, spellings[index % len(spellings)],
                                   "Mustermann").status_code)
        assert answers[:10] == [302] * 10
        assert answers[10:] == [429, 429]
    finally:
        app.extensions["effortless"].close()


def test_a_second_decision_after_an_appeal_is_mailed_even_when_its_queueing_failed(
        app: Flask) -> None:
    """The sweeper and the job share one definition of "not sent yet": sent since the
    latest decision, not "ever sent"."""
    factory = app.extensions["effortless"].session_factory
    claim_id = _needs_review(app, "APPEAL")
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    with factory() as session:
        clerk = session.scalars(select(User.id)).one()
    decisions.reject(factory, claim_id, clerk, reason="no-evidence", explanation="No proof.")
    assert notices_due(factory) == [(claim_id, NoticeKind.DECISION),
                                    (claim_id, NoticeKind.RECEIPT)]
    mark_sent(factory, claim_id, NoticeKind.DECISION)
    mark_sent(factory, claim_id, NoticeKind.RECEIPT)
    assert notices_due(factory) == []
    answers.appeal(factory, claim_id, "I have the ticket")
    decisions.approve(factory, claim_id, clerk, amount=Decimal("19.75"), note="Ticket shown")
    # The portal's enqueue of this notice failed (Redis down): the sweeper must find it.
    assert notices_due(factory) == [(claim_id, NoticeKind.DECISION)]
    assert pending_notice(factory, claim_id, NoticeKind.DECISION) is not None


def _amount_events(app: Flask, claim_id: int) -> list[tuple[str, int | None, dict[str, Any]]]:
    with app.extensions["effortless"].session_factory() as session:
        return [(e.kind, e.actor_id, e.counts) for e in session.scalars(
            select(ClaimEvent).where(ClaimEvent.claim_id == claim_id, ClaimEvent.kind.in_(
                ["amount_proposed", "amount_set"])).order_by(ClaimEvent.id))]


def test_every_clerk_amount_is_kept_with_who_and_why_and_large_ones_need_two_people(
        settings_overrides: dict[str, Any]) -> None:
    app = create_app(settings_overrides)
    try:
        factory = app.extensions["effortless"].session_factory
        first = _needs_review(app, "FOUR01")
        accounts.configure_operator(factory, "test-rail", second_approval_above="100.00")
        second = _needs_review(app, "FOUR02")
        ids = {}
        for email in ("anna@example.org", "bert@example.org"):
            accounts.create_user(factory, email, "clerk", PASSWORD)
            with factory() as session:
                ids[email[:4]] = session.scalars(select(User.id).where(User.email == email)).one()
        # A changed amount under the limit: one clerk, with a reason, kept in the log.
        with pytest.raises(review.ReviewError):
            decisions.approve(factory, first, ids["anna"], amount=Decimal("30.00"))
        assert decisions.approve(factory, first, ids["anna"], amount=Decimal("30.00"),
                                 note="Taxi fare too"
                                 ) == decisions.Approval.APPROVED
        assert _amount_events(app, first) == [("amount_set", ids["anna"], {
            "old": "19.75", "new": "30.00", "why": "Taxi fare too", "proposed_by": None})]
        # Above the limit: proposed by one, approved by another.
        assert decisions.approve(factory, second, ids["anna"], amount=Decimal("150.00"),
                                 note="Hotel night"
                                 ) == decisions.Approval.AWAITING_SECOND
        assert _claim(app, second).status == "needs_review"
        with pytest.raises(review.ReviewError) as refused:
            decisions.approve(factory, second, ids["anna"], amount=Decimal("150.00"))
        assert refused.value.code == review.Refusal.SECOND_APPROVER_NEEDED
        assert decisions.approve(factory, second, ids["bert"], amount=Decimal("150.00")
                                 ) == decisions.Approval.APPROVED
        claim = _claim(app, second)
        assert (claim.status, claim.amount, claim.clerk_note) == (
            "approved", Decimal("150.00"), "Hotel night")
        assert _amount_events(app, second) == [
            ("amount_proposed", ids["anna"], {"old": "19.75", "new": "150.00",
                                              "why": "Hotel night"}),
            ("amount_set", ids["bert"], {"old": "19.75", "new": "150.00",
                                         "why": "Hotel night", "proposed_by": ids["anna"]})]
    finally:
        app.extensions["effortless"].close()


def test_an_amount_no_rule_computed_needs_a_reason(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking("NODATA")])  # no operations data: the rules compute nothing
    claim_id = _file(app, "NODATA", "test-rail", "Erika Mustermann")
    assess_claims(app.extensions["effortless"].session_factory, [claim_id])
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", PASSWORD)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert "The rules computed no amount" in page
    refused = client.post(f"/clerk/claims/{claim_id}/approve", data={
        "csrf_token": csrf_token(page), "amount": "19.75"})
    assert refused.status_code == 409 and _claim(app, claim_id).status == "needs_review"
    client.post(f"/clerk/claims/{claim_id}/approve", data={
        "csrf_token": csrf_token(page), "amount": "19.75", "note": "Delay seen on the app"})
    assert _claim(app, claim_id).status == "approved"


def test_money_never_has_nowhere_to_go(app: Flask) -> None:
    """No account on file and "to this bank account" chosen with no IBAN: asked again."""
    create_operator(app)
    booking = rail_booking("NOWHERE")
    del booking["payment"]
    load(app, [booking], [arrival()])
    client = app.test_client()
    look_up(client, "NOWHERE", "Mustermann")
    page = client.get("/claim").get_data(as_text=True)
    assert 'value="account"' not in page
    answer = client.post("/claim", data={"csrf_token": csrf_token(page),
                                         "passenger_name": "Erika Mustermann",
                                         "payout": "iban", "iban": "", "account_holder": ""})
    assert answer.status_code == 422
    assert "Enter the IBAN we should pay to." in answer.get_data(as_text=True)


def _round_trip(app: Flask) -> None:
    create_operator(app)
    outbound = {"service": "ICE 100", "origin": "Köln Hbf", "destination": "Berlin Hbf",
                "scheduled_departure": f"{DAY}T08:00:00+01:00",
                "scheduled_arrival": f"{DAY}T12:20:00+01:00"}
    back = {"service": "ICE 101", "origin": "Berlin Hbf", "destination": "Köln Hbf",
            "scheduled_departure": f"{DAY}T17:00:00+01:00",
            "scheduled_arrival": f"{DAY}T21:20:00+01:00"}
    load(app, [rail_booking("RETURN", fare={"amount": "100.00", "currency": "EUR",
                                            "kind": "return"}, legs=[outbound, back])],
         [arrival(service="ICE 100", stop="Berlin Hbf", actual=f"{DAY}T13:30:00+01:00"),
          arrival(service="ICE 101", stop="Köln Hbf", actual=f"{DAY}T21:25:00+01:00")])


def test_each_direction_of_a_return_ticket_is_a_journey_of_its_own(app: Flask) -> None:
    """A late outbound with an on-time return is owed compensation (on half the return
    price); the passenger sees both and files for both in one go."""
    _round_trip(app)
    client = app.test_client()
    look_up(client, "RETURN", "Mustermann")
    page = client.get("/claim").get_data(as_text=True)
    assert "Outbound: Köln Hbf → Berlin Hbf" in page and "Return: Berlin Hbf → Köln Hbf" in page
    assert "arrived at Berlin Hbf 70 minutes late" in page
    assert "You are owed 12.50 EUR (25 %)" in page
    none_chosen = client.post("/claim", data={"csrf_token": csrf_token(page),
                                              "passenger_name": "Erika Mustermann"})
    assert none_chosen.status_code == 422
    assert "Choose the journey you claim for." in none_chosen.get_data(as_text=True)
    filed = client.post("/claim", data={"csrf_token": csrf_token(page),
                                        "passenger_name": "Erika Mustermann",
                                        "journeys": ["outbound", "return"]})
    assert filed.status_code == 302
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        claims = {c.direction: (c.status, c.amount) for c in session.scalars(select(Claim))}
    assert claims == {"outbound": ("approved", Decimal("12.50")),
                      "return": ("rejected", Decimal("0.00"))}
    status = client.get(filed.location).get_data(as_text=True)
    assert "Outbound" in status and "the other journey of this booking (Return)" in status
    # The button to the other journey opens the return's claim, with a link of its own
    # (a POST makes it).
    other = re.search(r'action="(/status/[^"]+/journey/return)"', status)
    assert other is not None
    return_page = client.get(client.post(other.group(1), data={
        "csrf_token": csrf_token(status)}).location).get_data(as_text=True)
    assert "Return" in return_page and "the other journey of this booking (Outbound)" in \
        return_page
    # Filing again files nothing new: one claim per booking and direction; the claim
    # page shows both claimed, each with its button.
    again = client.get("/claim").get_data(as_text=True)
    assert again.count("You have claimed for this journey already") == 2
    assert 'name="journeys"' not in again


def test_a_return_ticket_with_one_journey_claimed_shows_each_leg_once(app: Flask) -> None:
    """The claim page reads the booking, its legs and its claims in one statement, a row
    per leg and claim: with both legs and a claim, each leg still shows once, and only the
    journey not claimed yet is offered."""
    _round_trip(app)
    client = app.test_client()
    look_up(client, "RETURN", "Mustermann")
    page = client.get("/claim").get_data(as_text=True)
    client.post("/claim", data={"csrf_token": csrf_token(page),
                                "passenger_name": "Erika Mustermann", "journeys": ["outbound"]})
    page = client.get("/claim").get_data(as_text=True)
    assert page.count("<strong>ICE 100</strong>") == 1
    assert page.count("<strong>ICE 101</strong>") == 1
    assert page.count("You have claimed for this journey already") == 1
    assert page.count("No compensation is due.") == 1  # the return, on time, still open
    # Showing the form is an effort event, once a minute for the booking: the first
    # written with the page's read on PostgreSQL (no journey claimed), a second (the
    # second showing in a later minute) by the page itself.
    with app.extensions["effortless"].session_factory() as session:
        shown = session.scalars(select(ClaimEvent.counts).where(
            ClaimEvent.kind == EventKind.CLAIM_FORM_SHOWN)).all()
    assert 1 <= len(shown) <= 2
    assert all(counts == {"fields_shown": 4, "fields_prefilled": 2} for counts in shown)


def test_one_claim_per_booking_and_direction_is_guaranteed_by_the_database(
        app: Flask) -> None:
    _round_trip(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    data = filing.ClaimInput(passenger_name="Erika Mustermann", passenger_email=None,
                             arrived_with_service=None, statement=None, language="en")
    back = filing.submit_claim(factory, booking_id, data, {}, Direction.RETURN)
    out = filing.submit_claim(factory, booking_id, data, {}, Direction.OUTBOUND)
    assert back.created and out.created and back.claim_id != out.claim_id
    with pytest.raises(IntegrityError), factory.begin() as session:
        session.add(Claim(booking_id=booking_id, direction="return", operator_id=1,
                          regime="eu-rail", passenger_name="Mallory"))


def test_an_objection_keeps_the_flags_about_where_the_money_goes(app: Flask) -> None:
    """A typed account of someone else's, rejected, then objected to: the clerk who takes
    the objection still sees that the money would go to another person's account."""
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    load(app, [rail_booking("FLAGS1")], [arrival()])
    with factory() as session:
        booking_id = session.scalars(select(Booking.id).where(
            Booking.reference == "FLAGS1")).one()
    claim_id = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Erika Mustermann", passenger_email="erika@example.org",
        arrived_with_service=None, statement="It was later", language="en",
        payout_method="iban", payout_iban="DE89370400440532013000",
        payout_holder="Max Fremder"), effort={}).claim_id
    assess_claims(factory, [claim_id])
    payout_flags = ["payout-account-changed", "payout-holder-differs"]
    with factory() as session:
        assert set(payout_flags) <= set(session.get(Claim, claim_id).reason_codes or ())
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    with factory() as session:
        clerk = session.scalars(select(User.id)).one()
    decisions.reject(factory, claim_id, clerk, reason="no-evidence", explanation="No proof.")
    answers.appeal(factory, claim_id, "I have the ticket")
    with factory() as session:
        assert session.get(Claim, claim_id).reason_codes == [*payout_flags, "appeal"]
