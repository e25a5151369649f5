"""Proactive compensation: operations records arrive through the operator's API, the
worker checks the journeys they touch, and the operator's mode decides what follows."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.db.models import Claim, ClaimEffort, ClaimEvent, JourneyCheck, Payout
from claims.operators import accounts
from claims.operators.imports import import_bookings
from claims.processing import payouts
from claims.reporting import effort_catch_up, effort_store
from claims.reporting.proactive_report import ProactiveFigures, proactive_figures
from claims.reporting.reports import CostModel, ReportFilter, report
from tests.helpers import (
    DECISION,
    count,
    create_operator,
    csrf_token,
    file_claim,
    look_up,
    mail_bodies,
    mails,
    run_worker,
    status_links_in,
    submit,
)
from tests.records import DAY, arrival, rail_booking

OFFER = "Your train or flight was late: compensation for you, no claim needed"
INVITATION = "Your disrupted journey: your claim is ready to send"


def _operator(app: Flask, mode: str, **configuration: str) -> str:
    key = create_operator(app)
    accounts.configure_operator(app.extensions["effortless"].session_factory, "test-rail",
                                proactive_mode=mode, payout_account_name="Test Rail",
                                payout_account_iban="DE89370400440532013000", **configuration)
    return key


def _bookings(app: Flask, *records: dict[str, Any]) -> None:
    report = import_bookings(app.extensions["effortless"].session_factory,
                             enumerate(records or [rail_booking()], start=1))
    assert not report.rejected


def _delays(app: Flask, key: str, *records: dict[str, Any]) -> None:
    """The operator sends its operations records; the workers do the rest."""
    response = app.test_client().post(
        "/api/v1/operations", data="\n".join(json.dumps(r) for r in records),
        headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    run_worker(app)


def _claims(app: Flask) -> list[Claim]:
    with app.extensions["effortless"].session_factory() as session:
        return list(session.scalars(select(Claim).order_by(Claim.id)))


def _check(app: Flask) -> JourneyCheck:
    with app.extensions["effortless"].session_factory() as session:
        return session.scalars(select(JourneyCheck)).one()


def _events(app: Flask, claim_id: int) -> list[str]:
    with app.extensions["effortless"].session_factory() as session:
        return list(session.scalars(select(ClaimEvent.kind).where(
            ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id)))


def _offer_link(app: Flask) -> str:
    bodies = [b for (_to, subject), b in zip(mails(app), mail_bodies(app), strict=True)
              if subject == OFFER]
    assert bodies, mails(app)
    links = status_links_in(bodies[-1])
    assert len(links) == 1
    return links[0]


def _pay(app: Flask) -> None:
    current = app.extensions["effortless"]
    payouts.run_payouts(current.session_factory, current.settings.instance_path / "payouts")


def test_offer_accepted_with_one_click_pays_the_account_on_file(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app)
    _delays(app, key, arrival())  # 74 minutes late on a 79.00 EUR ticket

    [claim] = _claims(app)
    assert (claim.status, claim.origin, claim.amount, claim.payout_method) == (
        "offered", "proactive", Decimal("19.75"), "account")
    assert claim.delay_minutes == 74  # the claim file and the letter say how late
    assert mails(app) == [("erika@example.org", OFFER)]
    body = mail_bodies(app)[0]
    assert "19.75 EUR" in body and "ending in 2051" in body and "Art. 19" in body

    client = app.test_client()
    page = client.get(_offer_link(app)).get_data(as_text=True)
    assert "offers you 19.75 EUR" in page and "DE02 **** **** **** 2051" in page
    assert "DE02120300000000202051" not in page
    accepted = client.post(_offer_link(app) + "/accept",
                           data={"csrf_token": csrf_token(page), "payout": "account"})
    assert accepted.status_code == 302
    run_worker(app)
    [claim] = _claims(app)
    assert claim.status == "approved"
    assert ("erika@example.org", DECISION) in mails(app)
    # Zero typed fields: the acceptance event says so.
    with app.extensions["effortless"].session_factory() as session:
        accepted_event = session.scalars(select(ClaimEvent).where(
            ClaimEvent.kind == "offer_accepted")).one()
        assert accepted_event.counts["fields_typed"] == 0

    _pay(app)
    with app.extensions["effortless"].session_factory() as session:
        payout = session.scalars(select(Payout)).one()
        assert (payout.amount, payout.iban) == (Decimal("19.75"), "DE02120300000000202051")


def test_offer_without_an_account_asks_for_a_voucher_or_an_iban(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking(payment=None))
    _delays(app, key, arrival())
    [claim] = _claims(app)
    assert (claim.status, claim.payout_method) == ("offered", "none")
    assert "travel voucher or the bank account" in mail_bodies(app)[0]

    client = app.test_client()
    link = _offer_link(app)
    page = client.get(link).get_data(as_text=True)
    assert 'value="voucher"' in page and 'name="iban"' in page
    refused = client.post(link + "/accept", data={"csrf_token": csrf_token(page),
                                                  "payout": "iban", "iban": ""})
    assert refused.status_code == 422
    assert "Enter the IBAN we should pay to." in refused.get_data(as_text=True)
    # "account" is not on offer where there is none: refused, nothing changes.
    sneaked = client.post(link + "/accept", data={"csrf_token": csrf_token(page),
                                                  "payout": "account"})
    assert sneaked.status_code == 422
    assert _claims(app)[0].status == "offered"
    done = client.post(link + "/accept", data={
        "csrf_token": csrf_token(page), "payout": "iban",
        "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Erika Mustermann"})
    assert done.status_code == 302
    [claim] = _claims(app)
    assert (claim.status, claim.payout_method, claim.payout_iban) == (
        "approved", "iban", "DE89370400440532013000")


def test_declined_offer_pays_nothing(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app)
    _delays(app, key, arrival())
    client = app.test_client()
    link = _offer_link(app)
    page = client.get(link).get_data(as_text=True)
    assert client.post(link + "/decline",
                       data={"csrf_token": csrf_token(page)}).status_code == 302
    assert "You declined this offer" in client.get(link).get_data(as_text=True)
    again = client.post(link + "/accept", data={"csrf_token": csrf_token(page),
                                                "payout": "account"})
    assert again.status_code == 409
    _pay(app)
    assert count(app, Payout) == 0
    assert _claims(app)[0].status == "declined"


def test_pay_mode_pays_clear_cases_without_any_action(app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app, rail_booking(),
              rail_booking("NOACCT", payment=None, passenger={"name": "Ida Ohnekonto",
                                                              "email": "ida@example.org"}))
    _delays(app, key, arrival())
    paid, offered = _claims(app)
    assert (paid.status, paid.origin) == ("approved", "proactive")
    # No account on file: nowhere to pay without asking, so it is an offer.
    assert offered.status == "offered"
    sent = dict((to, subject) for to, subject in mails(app))
    assert sent == {"erika@example.org": DECISION, "ida@example.org": OFFER}
    body = mail_bodies(app)[[to for to, _ in mails(app)].index("erika@example.org")]
    assert "You do not need to do anything" in body and "object" in body
    _pay(app)
    assert _claims(app)[0].status == "paid"


def test_off_mode_keeps_the_check_and_does_nothing(app: Flask) -> None:
    key = _operator(app, "off")
    _bookings(app)
    _delays(app, key, arrival())
    assert _claims(app) == [] and mails(app) == []
    check = _check(app)
    assert (check.outcome, check.eligible, check.amount) == ("off", True, Decimal("19.75"))


def test_on_time_journeys_get_nothing(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app)
    _delays(app, key, arrival(actual=f"{DAY}T11:50:00+01:00"))
    assert _claims(app) == [] and mails(app) == []
    assert (_check(app).outcome, _check(app).eligible) == ("not-due", False)


def test_one_decision_per_journey_whoever_starts_it(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking(), rail_booking("LATE02", passenger={
        "name": "Max Spaet", "email": "max@example.org"}))
    # Erika files before the operations data arrive: she gets no offer on top.
    client = app.test_client()
    look_up(client, "Q7K2LM", "Mustermann")
    submit(client, passenger_name="Erika Mustermann", passenger_email="erika@example.org")
    _delays(app, key, arrival())
    erika, max_claim = _claims(app)
    assert (erika.origin, max_claim.origin, max_claim.status) == (
        "passenger", "proactive", "offered")
    assert OFFER not in [s for to, s in mails(app) if to == "erika@example.org"]
    # Max looks his booking up after the offer: he lands on it, no second claim.
    other = app.test_client()
    found = look_up(other, "LATE02", "Spaet")
    page = other.get(found.location, follow_redirects=True).get_data(as_text=True)
    assert "offers you 19.75 EUR" in page
    assert len(_claims(app)) == 2
    # The same records imported again decide nothing anew and mail nothing again.
    before = mails(app)
    _delays(app, key, arrival())
    assert len(_claims(app)) == 2 and mails(app) == before


def test_booking_without_e_mail_finds_its_offer_at_the_look_up(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app, rail_booking(passenger={"name": "Erika Mustermann"}))
    _delays(app, key, arrival())
    assert mails(app) == []
    client = app.test_client()
    status = look_up(client, "Q7K2LM", "Mustermann")  # straight to the offer
    page = client.get(status.location).get_data(as_text=True)
    assert "offers you 19.75 EUR" in page
    accepted = client.post(status.location + "/accept",
                           data={"csrf_token": csrf_token(page), "payout": "account"})
    assert accepted.status_code == 302 and _claims(app)[0].status == "approved"


def test_corrected_data_decide_an_open_offer_again(app: Flask) -> None:
    key = _operator(app, "offer")
    _bookings(app)
    _delays(app, key, arrival())
    # 134 minutes late after all: 50 %.
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))
    [claim] = _claims(app)
    assert (claim.status, claim.amount) == ("offered", Decimal("39.50"))
    assert [s for _to, s in mails(app)] == [OFFER, OFFER]
    assert "39.50 EUR" in mail_bodies(app)[-1]
    # On time after all: the offer is withdrawn, and says so.
    _delays(app, key, arrival(actual=f"{DAY}T11:50:00+01:00"))
    [claim] = _claims(app)
    assert claim.status == "withdrawn" and "offer_withdrawn" in _events(app, claim.id)


def test_after_payment_only_a_top_up_follows(app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app)
    _delays(app, key, arrival())
    _pay(app)
    # Later than first reported: 50 %, the 19.75 EUR more paid as a part of its own.
    _delays(app, key, arrival(actual=f"{DAY}T13:58:00+01:00"))
    [claim] = _claims(app)
    # Approved again: the claim owes its amount less what was paid.
    assert (claim.status, claim.amount) == ("approved", Decimal("39.50"))
    assert "19.75 EUR more" in mail_bodies(app)[-1]
    _pay(app)
    _pay(app)  # a second run pays nothing twice
    with app.extensions["effortless"].session_factory() as session:
        parts = [(p.part, p.amount) for p in session.scalars(select(Payout).order_by(
            Payout.part))]
    assert parts == [(0, Decimal("19.75")), (1, Decimal("19.75"))]
    # Earlier than first reported: nothing is taken back, and the log says so.
    _delays(app, key, arrival(actual=f"{DAY}T12:10:00+01:00"))
    [claim] = _claims(app)
    assert (claim.status, claim.amount) == ("paid", Decimal("39.50"))
    assert _events(app, claim.id)[-1] == "correction_kept"


def test_cases_for_a_clerk_get_an_invitation_not_an_offer(app: Flask) -> None:
    key = _operator(app, "offer", auto_approve_limit="10.00")
    _bookings(app)
    _delays(app, key, arrival())
    assert _claims(app) == []
    assert mails(app) == [("erika@example.org", INVITATION)]
    assert _check(app).outcome == "invited"
    link = re.search(r"https?://[^/\s]+(/invited/\S+)", mail_bodies(app)[0])
    assert link
    client = app.test_client()
    form = client.get(link.group(1))
    assert form.status_code == 302 and form.location.endswith("/claim")
    page = client.get("/claim").get_data(as_text=True)
    assert 'value="Erika Mustermann"' in page
    # An invitation tampered with opens nothing.
    assert client.get(link.group(1)[:-3] + "xyz").status_code == 410
    # Checked again, the invitation is not sent twice.
    _delays(app, key, arrival())
    assert len(mails(app)) == 1


@pytest.mark.parametrize("mode", ["offer", "pay"])
def test_every_clear_journey_is_decided_once(app: Flask, client: FlaskClient,
                                             mode: str) -> None:
    key = _operator(app, mode)
    _bookings(app, *[rail_booking(f"BULK{n:02d}", passenger={
        "name": f"Person Nummer{n}", "email": f"p{n}@example.org"}) for n in range(30)])
    _delays(app, key, arrival())
    claims = _claims(app)
    assert len(claims) == 30 and len({c.booking_id for c in claims}) == 30
    assert len(mails(app)) == 30


def test_reports_show_the_proactive_path(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    key = _operator(app, "offer")
    off_key = create_operator(app, "off-rail")
    _bookings(app, *[rail_booking(f"OFFR{n:02d}", passenger={
        "name": f"Person Nummer{n}", "email": f"p{n}@example.org"}) for n in range(4)],
        rail_booking("OFFOP1", operator="off-rail"))
    _delays(app, key, arrival())
    _delays(app, off_key, arrival(operator="off-rail"))
    client = app.test_client()
    links = [status_links_in(body)[0] for body in mail_bodies(app)]
    assert len(links) == 4
    for link, answer in zip(links, ["accept", "accept", "decline", None], strict=True):
        page = client.get(link).get_data(as_text=True)
        if answer:
            client.post(f"{link}/{answer}", data={"csrf_token": csrf_token(page),
                                                  "payout": "account"})
    _pay(app)
    effort_catch_up.refresh_all(factory, settle=timedelta(0))
    figures = _proactive_figures(factory, ReportFilter())
    assert (figures.proactive_claims, figures.offers, figures.accepted, figures.declined,
            figures.ignored) == (4, 4, 2, 1, 1)
    assert figures.paid_share == 1.0
    assert figures.delay_to_money_hours is not None and figures.delay_to_money_hours > 0
    assert (figures.unclaimed, figures.unclaimed_amounts) == (1, (("EUR", Decimal("19.75")),))
    only_offers = _proactive_figures(factory, ReportFilter(operator="test-rail"))
    assert only_offers.unclaimed == 0
    with factory() as session:
        paths = set(session.scalars(select(ClaimEffort.path)))
    assert paths == {"proactive"}


def test_a_claimed_journey_leaves_the_unclaimed_sums(app: Flask) -> None:
    """The report counts unclaimed journeys from sums per day: a check (which writes no
    event) makes the report catch up, and so does a claim filed on a checked journey."""
    factory = app.extensions["effortless"].session_factory
    key = _operator(app, "off")
    _bookings(app, *[rail_booking(f"UNCL{n:02d}", passenger={
        "name": f"Person Nummer{n}", "email": f"p{n}@example.org"}) for n in range(3)])
    effort_catch_up.refresh_all(factory, settle=timedelta(0))
    assert effort_store.waiting_since(factory) is None
    _delays(app, key, arrival())
    assert effort_store.waiting_since(factory) is not None  # the checks, not yet in the sums
    effort_catch_up.refresh_all(factory, settle=timedelta(0))
    assert effort_store.waiting_since(factory) is None
    figures = _proactive_figures(factory, ReportFilter())
    assert (figures.unclaimed, figures.unclaimed_amounts) == (3, (("EUR", Decimal("59.25")),))

    file_claim(app, "UNCL01", "Nummer1")
    effort_catch_up.refresh_all(factory, settle=timedelta(0))
    figures = _proactive_figures(factory, ReportFilter())
    assert (figures.unclaimed, figures.unclaimed_amounts) == (2, (("EUR", Decimal("39.50")),))
    with factory() as session:
        checked_on = session.scalars(select(JourneyCheck.checked_at)).first()
    assert checked_on is not None
    later = checked_on.date() + timedelta(days=1)
    assert _proactive_figures(factory, ReportFilter(start=later)).unclaimed == 0
    assert _proactive_figures(factory, ReportFilter(end=checked_on.date())).unclaimed == 2
    assert _proactive_figures(factory, ReportFilter(operator="other-rail")).unclaimed == 0


def _proactive_figures(factory: Any, wanted: ReportFilter) -> ProactiveFigures:
    """As the report page reads them: from the report's sums and the offers."""
    model = CostModel(Decimal("36.00"), Decimal("0.01"), Decimal("0.50"))
    return proactive_figures(factory, wanted, report(factory, wanted, model).by_path_and_status)


def test_a_passenger_objects_to_a_payment_made_without_a_claim(app: Flask) -> None:
    key = _operator(app, "pay")
    _bookings(app)
    _delays(app, key, arrival())
    link = status_links_in(mail_bodies(app)[0])[0]
    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    assert "we will pay you 19.75 EUR" in page and 'name="objection"' in page
    objected = client.post(link + "/appeal", data={
        "csrf_token": csrf_token(page), "objection": "I was 2 hours late, not 74 minutes."})
    assert objected.status_code == 302
    [claim] = _claims(app)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["appeal"])
    _pay(app)  # the payment waits for the clerk
    assert count(app, Payout) == 0
