"""What a clerk decides with: the passengers' own words beside every claim of a cohort
(and no one click over them), the rules' finding first on a claim's decision form, and the
proposals waiting for a second person in a list of their own."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from claims.clerks import decisions, review
from claims.db.models import Booking, Claim, ClaimEvent, User
from claims.operators import accounts
from claims.passengers import filing
from claims.processing.assessment import assess_claims
from tests.helpers import (
    create_operator,
    csrf_token,
    hidden_fields,
    load,
    sign_in,
    stored_claim,
)
from tests.records import DAY, arrival, rail_booking

PASSWORD = "a-long-password"
STRIKE = "Das war kein Unwetter: das Personal hat gestreikt"
ON_TIME_ENOUGH = f"{DAY}T12:20:00+01:00"   # 36 minutes: nothing owed under EU rail
CHECKED = re.compile(r'<input type="checkbox" name="chosen" value="(\d+)"[^>]*checked')


@pytest.fixture
def staff(app: Flask) -> dict[str, int]:
    factory = app.extensions["effortless"].session_factory
    for email, role in (("clerk@example.org", "clerk"), ("other@example.org", "clerk"),
                        ("boss@example.org", "manager")):
        accounts.create_user(factory, email, role, PASSWORD)
    with factory() as session:
        return {email.split("@")[0]: user_id
                for user_id, email in session.execute(select(User.id, User.email))}


def _open_claims(app: Flask, statements: list[str], *, service: str = "IC 2013",
                 **record: Any) -> list[int]:
    """One claim per statement on one train, assessed: each passenger's words send it to
    a clerk."""
    create_operator(app)
    load(app, [rail_booking(f"FACT{index:02d}", passenger={
        "name": f"Eva Muster{index}", "email": f"eva{index}@example.org"},
        legs=[{**rail_booking()["legs"][-1], "service": service}])
        for index in range(len(statements))], [arrival(service=service, **record)])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_ids = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    claim_ids = [filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name=f"Eva Muster{index}", passenger_email=f"eva{index}@example.org",
        arrived_with_service=None, statement=statement, language="de"), effort={}).claim_id
        for index, (booking_id, statement) in enumerate(zip(booking_ids, statements,
                                                            strict=True))]
    assess_claims(factory, claim_ids)
    return claim_ids


def _send(client: FlaskClient, page_url: str, url: str, **data: Any) -> Any:
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                                  **data})


# The cohort shows what each passenger said, and one click does not overrule it ----------

def test_one_click_on_a_cohort_leaves_the_passengers_who_say_otherwise_in_the_queue(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, [STRIKE] * 4 + ["late"] * 2, service="ICE 201",
                             cause="extreme-weather")
    contradicted, silent = claim_ids[:4], claim_ids[4:]
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        # Two came to a clerk for a reason of the train's data, with nothing said.
        session.execute(update(Claim).where(Claim.id.in_(silent)).values(
            statement=None, reason_codes=["operations-mismatch"]))
        # One says only which train they came with: that too is theirs to be read.
        session.execute(update(Claim).where(Claim.id == contradicted[3]).values(
            statement=None, arrived_with_service="ICE 203"))
    sign_in(client, "clerk@example.org", PASSWORD)
    url = f"/clerk/cohorts/test-rail/ICE 201/{DAY}"
    page = client.get(url).get_data(as_text=True)
    # Every passenger's words beside their claim, in the page's own section.
    assert page.count(STRIKE) == 3 and "Arrived with ICE 203" in page
    assert "4 passengers say otherwise" in page
    assert '<option selected value="extreme-weather">' in page
    # Ticked as the page comes: the claims without a statement, none of the others.
    assert sorted(int(i) for i in CHECKED.findall(page)) == silent

    # One click, as a browser sends it: the ticked boxes only.
    sent = client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                                  "cause": "extreme-weather",
                                  "chosen": CHECKED.findall(page)})
    assert sent.status_code == 302
    assert [stored_claim(app, i).status for i in silent] == ["rejected", "rejected"]
    for claim_id in contradicted:
        claim = stored_claim(app, claim_id)
        assert (claim.status, claim.assigned_to) == ("needs_review", None)
    queue = client.get("/clerk/").get_data(as_text=True)
    assert all(f'href="/clerk/claims/{i}"' in queue for i in contradicted)

    # Neither does the service itself: a caller that skips the page decides none of them.
    result = decisions.decide_cohort(factory, contradicted, staff["other"],
                                     cause="extreme-weather")
    assert (result.decided, result.left) == ((), tuple(contradicted))
    assert {stored_claim(app, i).status for i in contradicted} == {"needs_review"}

    # Nothing ticked is refused, in the clerk's words, and changes nothing.
    page = client.get(url).get_data(as_text=True)
    refused = client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                                     "cause": "own-staff-strike"})
    assert refused.status_code == 422
    assert "Choose at least one claim." in refused.get_data(as_text=True)
    # Read and chosen one by one, the passengers' strike is confirmed for the train.
    _send(client, url, url, cause="own-staff-strike", chosen=contradicted[:2])
    assert [stored_claim(app, i).status for i in contradicted] == [
        "approved", "approved", "needs_review", "needs_review"]
    assert stored_claim(app, contradicted[0]).amount == Decimal("19.75")


def test_the_cohort_page_speaks_german_to_a_german_clerk(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    _open_claims(app, [STRIKE, STRIKE])
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/cohorts/test-rail/IC 2013/{DAY}",
                      headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "2 Fahrgäste sagen etwas anderes" in page and page.count(STRIKE) == 2
    assert "Angekreuzte Anträge entscheiden" in page


# The decision form starts from what the rules found ------------------------------------

def test_a_claim_found_not_eligible_offers_rejection_first_and_approval_folded(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, ["Der Zug war viel später"], actual=ON_TIME_ENOUGH)
    before = stored_claim(app, claim_id)
    assert (before.status, before.eligible, before.rule) == (
        "needs_review", False, "eu-rail.19-1")
    sign_in(client, "clerk@example.org", PASSWORD)
    url = f"/clerk/claims/{claim_id}"
    page = client.get(url).get_data(as_text=True)
    assert page.index('id="reject-form"') < page.index('id="approve-form"')
    assert re.search(r'<input checked[^>]*value="not-eligible"', page)
    assert '<details id="approve-anyway">' in page  # folded, opened without JavaScript
    assert re.search(r'<input[^>]*id="amount"[^>]*value=""', page)

    # Approving anyway with no amount: refused in the clerk's words, what was typed kept,
    # the form open again and posting to the same address; nothing saved.
    for typed, message in (("", "Enter the amount."),
                           ("zwanzig", "Enter an amount above zero, such as 19.75.")):
        refused = _send(client, url, f"{url}/approve", amount=typed, note="Kulanz, Anruf")
        answer = refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in answer
        assert "Kulanz, Anruf</textarea>" in answer
        assert '<details id="approve-anyway" open>' in answer
        assert f'action="{url}/approve"' in answer
    german = client.post(f"{url}/approve", headers={"Accept-Language": "de"}, data={
        **hidden_fields(page), "csrf_token": csrf_token(page), "amount": ""})
    assert german.status_code == 422
    assert "Geben Sie den Betrag ein." in german.get_data(as_text=True)
    after = stored_claim(app, claim_id)
    assert (after.status, after.amount, after.eligible) == (
        before.status, before.amount, before.eligible)
    with app.extensions["effortless"].session_factory() as session:
        assert not session.scalars(select(ClaimEvent.kind).where(
            ClaimEvent.claim_id == claim_id,
            ClaimEvent.kind.in_(["amount_set", "amount_proposed", "claim_decided"]),
            ClaimEvent.actor == "clerk")).all()

    # The preselected reason, as the page sends it, rejects.
    assert _send(client, url, f"{url}/reject", reason="not-eligible").status_code == 302
    assert stored_claim(app, claim_id).status == "rejected"


def test_an_eligible_claim_offers_approval_at_the_rules_amount_first(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, ["Der Zug war später"])
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert page.index('id="approve-form"') < page.index('id="reject-form"')
    assert '<details id="reject-details">' in page and "approve-anyway" not in page
    assert 'value="19.75"' in page
    assert not re.search(r'<input checked[^>]*name="reason"', page)


# Proposals waiting for a second person ------------------------------------------------

def test_a_second_approval_returns_to_the_waiting_list_and_takes_no_other_claim(
        app: Flask, staff: dict[str, int]) -> None:
    proposed, other = _open_claims(app, ["Hotel", "Später"])
    factory = app.extensions["effortless"].session_factory
    accounts.configure_operator(factory, "test-rail", second_approval_above="100.00")
    clerk, boss = app.test_client(), app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    sign_in(boss, "boss@example.org", PASSWORD)
    url = f"/clerk/claims/{proposed}"
    assert _send(clerk, url, f"{url}/approve", amount="150.00", note="Hotel night",
                 then="next").status_code == 302
    assert stored_claim(app, proposed).proposed_amount == Decimal("150.00")

    # The list: the proposal with its amount, who, since when and why; not the other claim.
    assert "Second approvals" in boss.get("/clerk/").get_data(as_text=True)
    listing = re.sub(r"\s+", " ", boss.get("/clerk/second-approvals").get_data(as_text=True))
    assert f'href="/clerk/claims/{proposed}"' in listing
    assert f'href="/clerk/claims/{other}"' not in listing
    assert "150.00 EUR" in listing and "clerk@example.org" in listing
    assert "Hotel night" in listing
    # The proposer sees it is theirs, and still cannot approve it themselves.
    mine = clerk.get("/clerk/second-approvals").get_data(as_text=True)
    assert "Your proposal: another person approves it." in mine
    refused = _send(clerk, url, f"{url}/approve", amount="150.00")
    assert refused.status_code == 409
    assert "another person must approve it" in refused.get_data(as_text=True)
    # Nor does the queue hand it back to them as their next claim.
    assert review.take_next(factory, staff["clerk"]) == other
    review.release_claim(factory, other, staff["clerk"])

    approved = _send(boss, url, f"{url}/approve", amount="150.00", then="next")
    assert approved.location == "/clerk/second-approvals"
    assert (stored_claim(app, proposed).status, stored_claim(app, proposed).amount) == (
        "approved", Decimal("150.00"))
    # The next claim of the queue stays where it was: nobody's.
    assert (stored_claim(app, other).status, stored_claim(app, other).assigned_to) == (
        "needs_review", None)
    after = boss.get(approved.location).get_data(as_text=True)
    assert "No proposal is waiting for a second approval." in after
    assert "Taken by" not in boss.get(f"/clerk/claims/{other}").get_data(as_text=True)


def test_a_proposal_rejected_by_the_second_person_also_returns_to_the_list(
        app: Flask, staff: dict[str, int]) -> None:
    proposed, other = _open_claims(app, ["Hotel", "Später"])
    factory = app.extensions["effortless"].session_factory
    accounts.configure_operator(factory, "test-rail", second_approval_above="100.00")
    decisions.approve(factory, proposed, staff["clerk"], amount=Decimal("150.00"),
                      note="Hotel night")
    boss = app.test_client()
    sign_in(boss, "boss@example.org", PASSWORD)
    url = f"/clerk/claims/{proposed}"
    refused = _send(boss, url, f"{url}/reject", reason="no-evidence", then="next")
    assert refused.location == "/clerk/second-approvals"
    assert stored_claim(app, proposed).status == "rejected"
    assert stored_claim(app, other).assigned_to is None
