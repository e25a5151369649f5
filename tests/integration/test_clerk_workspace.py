"""The clerk workspace: access to every route, sign-in lock-out and idle timeout, the queue,
taking claims, the three decisions, cohorts and appeals, each seen from both sides."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from claims.clerks import review
from claims.core.vocabulary import NoticeKind
from claims.db.models import Booking, Claim, ClaimEvent, SignInFailure, User
from claims.db.types import utcnow
from claims.operators import accounts
from claims.passengers import filing
from claims.processing.assessment import assess_claims
from claims.processing.notices import mark_sent
from portal.auth import IDLE_TIMEOUT_SECONDS
from tests.helpers import (
    DECISION_DE,
    INFO_REQUEST_DE,
    create_operator,
    csrf_token,
    hidden_fields,
    load,
    mails,
    run_worker,
    sign_in,
    status_path,
    stored_claim,
)
from tests.records import DAY, arrival, rail_booking

PASSWORD = "a-long-password"
# Reachable without signing in: the passenger's pages, the API (its own key), health.
# rq_dashboard's many routes (managers only) and /metrics (its token) are called by
# tests/integration/test_route_map.py, with the rest of the URL map.
PUBLIC_BLUEPRINTS = {"passenger", "api", "health", "rq_dashboard"}
PUBLIC_ENDPOINTS = {"static", "clerk.login", "clerk.logout", "operations.metrics"}
ROLES_OF_BLUEPRINT = {"clerk": {"clerk", "manager"}, "reports": {"manager"}}


@pytest.fixture
def staff(app: Flask) -> dict[str, int]:
    factory = app.extensions["effortless"].session_factory
    ids = {}
    for email, role in (("clerk@example.org", "clerk"), ("other@example.org", "clerk"),
                        ("boss@example.org", "manager")):
        accounts.create_user(factory, email, role, PASSWORD)
        with factory() as session:
            ids[email.split("@")[0]] = session.scalars(select(User.id)
                                                       .where(User.email == email)).one()
    return ids


def _open_claims(app: Flask, count: int = 3, *, service: str = "IC 2013",
                 statement: str = "The train was later than shown") -> list[int]:
    """Claims on one late train that the rules send to a clerk: the passengers disagree."""
    create_operator(app)
    load(app, [rail_booking(f"OPEN{index:02d}", passenger={
        "name": f"Eva Muster{index}", "email": f"eva{index}@example.org"},
        legs=[{**rail_booking()["legs"][-1], "service": service}]) for index in range(count)],
        [arrival(service=service)])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_ids = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    claim_ids = [filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name=f"Eva Muster{index}", passenger_email=f"eva{index}@example.org",
        arrived_with_service=None, statement=statement, language="de"), effort={}).claim_id
        for index, booking_id in enumerate(booking_ids)]
    for claim_id in claim_ids:
        # As filing on the page does: the receipt went out at once (a decision still finds
        # a receipt due, and sends it first).
        mark_sent(factory, claim_id, NoticeKind.RECEIPT)
    assess_claims(factory, claim_ids)
    return claim_ids


def _events(app: Flask, claim_id: int) -> list[tuple[str, str, int | None]]:
    with app.extensions["effortless"].session_factory() as session:
        return [(e.kind, e.actor, e.actor_id) for e in session.scalars(
            select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id))]


def _entries(events: list[tuple[str, str, int | None]]) -> int:
    """The timeline's entries for these events: a clerk's openings of the file one after
    another are one."""
    return sum(1 for before, event in zip([None, *events], events, strict=False)
               if not (event[0] == "claim_file_opened" and before == event))


def _post(client: FlaskClient, page_url: str, url: str, **data: Any):
    """Send a form as a browser would: with the page's CSRF token and hidden fields."""
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                                  **data})


# Access ---------------------------------------------------------------------------------

def _example_url(app: Flask, rule: Any) -> str:
    values: dict[str, Any] = {
        name: 1 if converter.__class__.__name__ == "IntegerConverter" else "x"
        for name, converter in rule._converters.items()}
    if "day" in values:
        values["day"] = "2026-11-20"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_every_staff_route_refuses_anonymous_users_and_the_wrong_role(
        app: Flask, staff: dict[str, int]) -> None:
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint not in PUBLIC_ENDPOINTS
             and rule.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS]
    assert {rule.endpoint.split(".")[0] for rule in rules} <= set(ROLES_OF_BLUEPRINT), (
        "a new blueprint: say here who may use it")
    assert len(rules) >= 11
    clients = {"anonymous": app.test_client()}
    for role, who in (("clerk", "clerk@example.org"), ("manager", "boss@example.org")):
        clients[role] = app.test_client()
        sign_in(clients[role], who, PASSWORD)
    # Each POST carries the client's valid CSRF token: a missing role check must show as
    # a wrong answer, not hide behind the 400 of a refused token.
    tokens = {name: csrf_token(client.get("/clerk/login").get_data(as_text=True))
              for name, client in clients.items()}
    for rule in rules:
        url = _example_url(app, rule)
        allowed = ROLES_OF_BLUEPRINT[rule.endpoint.split(".")[0]]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with clients["anonymous"].open(url, method=method,
                                           data={"csrf_token": tokens["anonymous"]}
                                           if method == "POST" else None) as anonymous:
                assert anonymous.status_code in (302, 401), (rule, method)
                if anonymous.status_code == 302:
                    assert anonymous.location.startswith("/clerk/login"), (rule, method)
            for role in ("clerk", "manager"):
                with clients[role].open(url, method=method,
                                        data={"csrf_token": tokens[role]}
                                        if method == "POST" else None) as response:
                    assert response.status_code != 400 or method != "POST" or \
                        "CSRF" not in response.get_data(as_text=True), (rule, method, role)
                    if role in allowed:
                        assert response.status_code != 403, (rule, method, role)
                    else:
                        assert response.status_code == 403, (rule, method, role)


def test_five_wrong_passwords_lock_the_account_for_a_while(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    for _ in range(5):
        assert sign_in(client, "clerk@example.org", "wrong-password").status_code == 401
    refused = sign_in(client, "clerk@example.org", PASSWORD)
    assert refused.status_code == 401
    assert "locked for 15 minutes" in refused.get_data(as_text=True)
    # Locked for that address only: the clerk at their own desk signs in.
    elsewhere = app.test_client()
    assert sign_in(elsewhere, "clerk@example.org", PASSWORD,
                   address="198.51.100.20").location == "/clerk/"
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        session.execute(update(SignInFailure).values(
            locked_until=utcnow() - timedelta(seconds=1)))
    assert sign_in(client, "clerk@example.org", PASSWORD).location == "/clerk/"


def test_a_session_ends_at_logout_everywhere_and_after_eight_hours(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    sign_in(client, "clerk@example.org", PASSWORD)
    with client.session_transaction() as session:
        copied = dict(session)  # a cookie someone kept
    page = client.get("/clerk/").get_data(as_text=True)
    client.post("/clerk/logout", data={"csrf_token": csrf_token(page)})
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(copied)
    assert thief.get("/clerk/").location.startswith("/clerk/login")
    sign_in(client, "clerk@example.org", PASSWORD)
    with client.session_transaction() as session:
        session["staff_since"] = time.time() - 8 * 3600 - 1
    assert client.get("/clerk/").location.startswith("/clerk/login")


def test_a_sign_in_takes_as_long_for_an_unknown_e_mail(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    """Argon2id, with a decoy check where no account (or a locked one) is: the time of the
    answer does not say which e-mails have accounts."""
    from claims.clerks.staff import authenticate

    factory = app.extensions["effortless"].session_factory

    def seconds(email: str) -> float:
        started = time.perf_counter()
        for _ in range(5):
            authenticate(factory, email, "wrong-password-1", address=email)
        return time.perf_counter() - started

    known, unknown = seconds("clerk@example.org"), seconds("nobody@example.org")
    assert 0.5 < unknown / known < 2.0, (known, unknown)
    with factory() as session:
        assert session.scalars(select(User.password_hash)).first().startswith("$argon2id$")


def test_an_idle_session_ends(app: Flask, client: FlaskClient,
                              staff: dict[str, int]) -> None:
    sign_in(client, "clerk@example.org", PASSWORD)
    assert client.get("/clerk/").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen"] = time.time() - IDLE_TIMEOUT_SECONDS - 1
    response = client.get("/clerk/")
    assert response.location == "/clerk/login?idle=1"
    assert client.get("/clerk/").location.startswith("/clerk/login")
    assert "30 minutes without activity" in client.get(response.location).get_data(
        as_text=True)


# The queue ------------------------------------------------------------------------------

def test_the_queue_orders_by_payment_limit_filters_and_counts(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=3)
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:  # the last claim is the oldest: it comes first
        session.execute(update(Claim).where(Claim.id == claim_ids[-1]).values(
            submitted_at=utcnow() - timedelta(days=20)))
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get("/clerk/").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'href="/clerk/claims/(\d+)"', page)]
    assert order == [claim_ids[-1], *claim_ids[:-1]]
    assert "passenger's statement</a>: 3" in page
    assert client.get("/clerk/?service=IC+2013&date=" + DAY).get_data(
        as_text=True).count('href="/clerk/claims/') == 3
    assert client.get("/clerk/?service=ICE+1").get_data(
        as_text=True).count('href="/clerk/claims/') == 0
    assert client.get("/clerk/?reason=appeal").get_data(
        as_text=True).count('href="/clerk/claims/') == 0
    assert client.get("/clerk/?date=yesterday").status_code == 400
    # Each reason counted over the open claims, whichever reason the page filters on.
    with factory.begin() as session:
        session.execute(update(Claim).where(Claim.id == claim_ids[0]).values(
            reason_codes=["amount-over-limit", "passenger-statement"]))
    for path in ("/clerk/", "/clerk/?reason=amount-over-limit"):
        page = client.get(path).get_data(as_text=True)
        assert "passenger's statement</a>: 3" in page
        assert re.search(r"</a>: 1</li>", page), page
    assert client.get("/clerk/?reason=amount-over-limit").get_data(
        as_text=True).count('href="/clerk/claims/') == 1


def test_a_taken_claim_shows_as_taken_and_the_queue_serves_the_next(
        app: Flask, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=2)
    first, second = app.test_client(), app.test_client()
    sign_in(first, "clerk@example.org", PASSWORD)
    sign_in(second, "other@example.org", PASSWORD)
    taken = _post(first, "/clerk/", "/clerk/next")
    assert taken.location == f"/clerk/claims/{claim_ids[0]}"
    assert "clerk@example.org" in second.get("/clerk/").get_data(as_text=True)
    assert _post(second, "/clerk/", "/clerk/next").location == f"/clerk/claims/{claim_ids[1]}"
    # Deciding a claim another clerk holds needs taking it over first: a handover.
    refused = _post(second, f"/clerk/claims/{claim_ids[0]}",
                    f"/clerk/claims/{claim_ids[0]}/approve", amount="19.75")
    assert refused.location == f"/clerk/claims/{claim_ids[0]}"
    assert stored_claim(app, claim_ids[0]).status == "needs_review"
    _post(second, f"/clerk/claims/{claim_ids[0]}", f"/clerk/claims/{claim_ids[0]}/take")
    with app.extensions["effortless"].session_factory() as session:
        handovers = session.scalars(select(ClaimEvent.counts).where(
            ClaimEvent.kind == "claim_taken", ClaimEvent.claim_id == claim_ids[0])).all()
    assert [c["handover"] for c in handovers] == [0, 1]


# Decisions ------------------------------------------------------------------------------

def test_approving_at_the_rules_amount_or_another_with_a_reason(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=2)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_ids[0]}").get_data(as_text=True)
    assert 'value="19.75"' in page and "The train was later than shown" in page
    assert "DE02 **** **** **** 2051" in page and "DE02120300000000202051" not in page
    approved = _post(client, f"/clerk/claims/{claim_ids[0]}",
                     f"/clerk/claims/{claim_ids[0]}/approve", amount="19.75")
    assert approved.status_code == 302
    claim = stored_claim(app, claim_ids[0])
    assert (claim.status, str(claim.amount)) == ("approved", "19.75")
    assert ("claim_decided", "clerk", staff["clerk"]) in _events(app, claim_ids[0])
    # Opened, then approved: one stretch of work, by one clerk, measured from the log.
    effort = re.sub(r"\s+", " ", client.get(f"/clerk/claims/{claim_ids[0]}").get_data(
        as_text=True))
    assert re.search(r"Handling so far: 0\.\d min, 1 stretch, 1 clerk, 0 handovers\.", effort)

    unexplained = _post(client, f"/clerk/claims/{claim_ids[1]}",
                        f"/clerk/claims/{claim_ids[1]}/approve", amount="30.00")
    # A mistake of what was typed: at the reason's field, its fold open, the amount kept.
    assert unexplained.status_code == 422
    page = unexplained.get_data(as_text=True)
    assert re.search(r'<details open><summary>Change the amount</summary>.*Give a reason '
                     r'for changing the amount', page, re.S)
    assert 'value="30.00"' in page
    assert _post(client, f"/clerk/claims/{claim_ids[1]}",
                 f"/clerk/claims/{claim_ids[1]}/approve", amount="-1").status_code == 422
    _post(client, f"/clerk/claims/{claim_ids[1]}", f"/clerk/claims/{claim_ids[1]}/approve",
          amount="30.00", note="Taxi fare refunded as well")
    claim = stored_claim(app, claim_ids[1])
    assert (claim.status, str(claim.amount), claim.clerk_note) == (
        "approved", "30.00", "Taxi fare refunded as well")
    run_worker(app)
    # Both passengers are told, once each.
    assert sorted(mails(app)) == [("eva0@example.org", DECISION_DE),
                                  ("eva1@example.org", DECISION_DE)]


def test_a_rejection_its_letter_and_one_appeal(app: Flask, client: FlaskClient,
                                               staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    # Each reason shows the standard explanation the (German) passenger would read.
    assert "Wir konnten Ihre Reise anhand der Fahrkarte" in page
    assert _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/reject",
                 explanation="Ihre Fahrt ist nicht belegt.").status_code == 422  # no reason
    _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/reject",
          reason="no-evidence", explanation="Ihre Fahrt ist nicht belegt.")
    assert stored_claim(app, claim_id).status == "rejected"
    run_worker(app)
    assert mails(app) == [("eva0@example.org", DECISION_DE)]

    passenger = app.test_client()
    status_url = status_path(app, claim_id)
    page = passenger.get(status_url).get_data(as_text=True)
    assert "Ihre Fahrt ist nicht belegt." in page and "Object to the decision" in page
    assert passenger.get(status_url + "/letter.pdf").status_code == 200
    assert _post(passenger, status_url, status_url + "/appeal",
                 objection="").status_code == 422
    _post(passenger, status_url, status_url + "/appeal",
          objection="Ich habe das Ticket, siehe Anhang")
    claim = stored_claim(app, claim_id)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["appeal"])
    assert "Ich habe das Ticket" in client.get(f"/clerk/claims/{claim_id}").get_data(
        as_text=True)
    assert "objection to a rejection</a>: 1" in client.get("/clerk/").get_data(as_text=True)
    # Decided again: the passenger hears of the new decision, and may not object twice.
    # The rules refused it: an amount after an appeal is the clerk's, and needs a reason.
    unexplained = _post(client, f"/clerk/claims/{claim_id}",
                        f"/clerk/claims/{claim_id}/approve", amount="19.75")
    assert unexplained.status_code == 409
    assert "The rules computed no amount" in unexplained.get_data(as_text=True)
    _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/approve",
          amount="19.75", note="Ticket shown on appeal")
    run_worker(app)
    assert mails(app) == [("eva0@example.org", DECISION_DE)] * 2
    assert "Object to the decision" not in passenger.get(status_url).get_data(as_text=True)
    assert _post(passenger, "/", status_url + "/appeal",
                 objection="Noch einmal").status_code == 409


def test_a_request_for_information_shows_the_passenger_just_that(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    assert _post(client, f"/clerk/claims/{claim_id}",
                 f"/clerk/claims/{claim_id}/request-info").status_code == 422
    _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/request-info",
          items=["arrived_with_service", "iban"])
    assert stored_claim(app, claim_id).status == "info_requested"
    run_worker(app)
    assert mails(app) == [("eva0@example.org", INFO_REQUEST_DE)]

    passenger = app.test_client()
    status_url = status_path(app, claim_id)
    page = passenger.get(status_url).get_data(as_text=True)
    assert 'name="arrived_with_service"' in page and 'name="iban"' in page
    assert 'name="statement"' not in page and 'name="arrival_time"' not in page
    bad = _post(passenger, status_url, status_url + "/info", arrived_with_service="ICE 599",
                iban="DE00 1234", account_holder="Eva Muster")
    assert bad.status_code == 422 and "not a valid IBAN" in bad.get_data(as_text=True)
    _post(passenger, status_url, status_url + "/info", arrived_with_service="ICE 599",
          iban="DE89 3704 0044 0532 0130 00", account_holder="Eva Muster")
    claim = stored_claim(app, claim_id)
    assert (claim.status, claim.arrived_with_service, claim.payout_iban) == (
        "needs_review", "ICE 599", "DE89370400440532013000")
    assert "ICE 599" in client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert _post(passenger, "/", status_url + "/info",
                 arrived_with_service="ICE 1").status_code == 409


def test_a_cohort_is_decided_together_each_claim_on_its_own(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=4)
    sign_in(client, "boss@example.org", PASSWORD)
    assert "IC 2013" in client.get("/clerk/cohorts").get_data(as_text=True)
    url = f"/clerk/cohorts/test-rail/IC 2013/{DAY}"
    page = client.get(url).get_data(as_text=True)
    # Each passenger said something: each claim is shown with it, and chosen by hand.
    assert "4 passengers say otherwise" in page and "The train was later than shown" in page
    _post(client, url, url, cause="own-staff-strike", chosen=claim_ids)
    for claim_id in claim_ids:
        claim = stored_claim(app, claim_id)
        assert (claim.status, str(claim.amount)) == ("approved", "19.75")
        decided = [e for e in _events(app, claim_id) if e[0] == "claim_decided"]
        assert decided[-1] == ("claim_decided", "clerk", staff["boss"])
    run_worker(app)
    assert sorted(mails(app)) == [(f"eva{i}@example.org", DECISION_DE) for i in range(4)]
    assert client.get(url).status_code == 404  # nothing open any more


def test_extreme_weather_confirmed_rejects_the_cohort_with_the_rule(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=2)
    sign_in(client, "clerk@example.org", PASSWORD)
    url = f"/clerk/cohorts/test-rail/IC 2013/{DAY}"
    _post(client, url, url, cause="extreme-weather", chosen=claim_ids)
    for claim_id in claim_ids:
        claim = stored_claim(app, claim_id)
        assert claim.status == "rejected" and "extreme weather" in (claim.explanation_en or "")


def test_a_claim_another_clerk_holds_is_refused_inside_the_decision(
        app: Flask, staff: dict[str, int]) -> None:
    """The rule lives in the use case, under the claim's lock: a caller that skips any page
    check (a second tab, an old form, a script) still cannot decide another's claim."""
    from claims.clerks import decisions, review

    claim_ids = _open_claims(app, count=1)
    factory = app.extensions["effortless"].session_factory
    assert review.take_next(factory, staff["clerk"]) == claim_ids[0]
    with pytest.raises(review.ReviewError) as refused:
        decisions.approve(factory, claim_ids[0], staff["other"], amount=stored_claim(
            app, claim_ids[0]).amount)
    assert refused.value.code == review.Refusal.TAKEN_BY_ANOTHER
    assert stored_claim(app, claim_ids[0]).status == "needs_review"
    decisions.approve(factory, claim_ids[0], staff["clerk"],
                      amount=stored_claim(app, claim_ids[0]).amount)
    assert stored_claim(app, claim_ids[0]).status == "approved"


def test_a_cohort_decides_the_claims_shown_and_leaves_personal_flags_to_a_clerk(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    """Confirming a train's cause settles what is about the train, not what is about one
    passenger (a changed name here), and only for the claims the clerk saw."""
    claim_ids = _open_claims(app, count=3)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim = session.get(Claim, claim_ids[2])
        assert claim is not None
        claim.reason_codes = ["passenger-statement", "name-changed"]
        session.commit()
    sign_in(client, "clerk@example.org", PASSWORD)
    url = f"/clerk/cohorts/test-rail/IC 2013/{DAY}"
    page = client.get(url).get_data(as_text=True)
    assert "2 passengers say otherwise" in page and "name differs from the booking" in page
    # Another passenger's claim on the same train arrives while the clerk reads the page.
    load(app, [rail_booking("LATE01", passenger={"name": "Lea Spaet"},
                            legs=[{**rail_booking()["legs"][-1], "service": "IC 2013"}])])
    with factory() as session:
        booking_id = session.scalars(select(Booking.id).where(
            Booking.reference == "LATE01")).one()
    late = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Lea Spaet", passenger_email=None, arrived_with_service=None,
        statement="Later than shown", language="de"), effort={}).claim_id
    assess_claims(factory, [late])
    assert stored_claim(app, late).status == "needs_review"
    client.post(url, data={**hidden_fields(page), "csrf_token": csrf_token(page),
                           "cause": "own-staff-strike", "chosen": [*claim_ids, late]})
    assert [stored_claim(app, i).status for i in claim_ids] == ["approved", "approved",
                                                           "needs_review"]
    assert stored_claim(app, late).status == "needs_review"  # not shown, not decided


def test_opening_a_claim_file_takes_nothing_taking_is_a_post(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert "Take this claim" in page
    assert stored_claim(app, claim_id).assigned_to is None
    assert "claim_taken" not in [kind for kind, *_ in _events(app, claim_id)]
    _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/take")
    assert stored_claim(app, claim_id).assigned_to == staff["clerk"]


@pytest.mark.parametrize("action", ["take", "release", "revoke-links"])
def test_an_action_on_a_claim_that_is_not_there_answers_404(
        app: Flask, client: FlaskClient, staff: dict[str, int], action: str) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    answer = _post(client, "/clerk/", f"/clerk/claims/{claim_id + 1000}/{action}")
    assert answer.status_code == 404
    assert f"There is no claim {claim_id + 1000}" in answer.get_data(as_text=True)
    # The claim that is there is acted on as before.
    assert _post(client, "/clerk/", f"/clerk/claims/{claim_id}/{action}").status_code == 302


def test_an_old_scrypt_password_still_signs_in_and_is_rehashed(
        app: Flask, staff: dict[str, int]) -> None:
    import hashlib

    from claims.clerks.staff import authenticate

    salt = bytes(range(16))
    legacy = "scrypt$" + salt.hex() + "$" + hashlib.scrypt(
        PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1).hex()
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        session.execute(update(User).where(User.id == staff["clerk"])
                        .values(password_hash=legacy))
    assert authenticate(factory, "clerk@example.org", PASSWORD) is not None
    with factory() as session:
        assert session.get(User, staff["clerk"]).password_hash.startswith("$argon2id$")


def test_managers_see_who_opened_which_claim_file(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    clerk.get(f"/clerk/claims/{claim_id}")
    assert clerk.get("/reports/audit").status_code == 403  # managers only
    sign_in(client, "boss@example.org", PASSWORD)
    page = client.get(f"/reports/audit?claim={claim_id}").get_data(as_text=True)
    assert "clerk@example.org" in page and f"#{claim_id}" in page
    assert "Claim file opened" in client.get(f"/clerk/claims/{claim_id}").get_data(
        as_text=True)


def test_a_long_timeline_shows_its_newest_steps_and_all_on_request(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    for _ in range(3):  # one clerk opening the file again and again: one entry
        client.get(f"/clerk/claims/{claim_id}")
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    # Noted once a minute (a GET writes no more): one opening, or two where the visits
    # straddle a minute's end, shown as one entry.
    assert page.count("Claim file opened") == 1
    factory = app.extensions["effortless"].session_factory
    for _ in range(30):  # taken and put back, again and again
        review.take_claim(factory, claim_id, staff["clerk"])
        review.release_claim(factory, claim_id, staff["clerk"])
    # The page is read before its own opening is noted (one a minute).
    steps = _entries(_events(app, claim_id))
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    timeline = page.split('id="timeline-h"')[1].split("</ol>")[0]
    assert timeline.count("<li>") == 50
    assert f"The newest 50 of {steps} steps." in timeline
    assert "Taken from the queue" in timeline and "Claim submitted" not in timeline
    steps = _entries(_events(app, claim_id))
    every = client.get(f"/clerk/claims/{claim_id}?timeline=all").get_data(as_text=True)
    timeline = every.split('id="timeline-h"')[1].split("</ol>")[0]
    assert timeline.count("<li>") == steps and "Claim submitted" in timeline
    assert "The newest" not in timeline


def test_the_claim_file_speaks_words_in_the_clerks_language(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    page = re.sub(r"\s+", " ", client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True))
    assert "· waiting for a decision</h1>" in page and "needs_review" not in page
    assert "Reasons: <strong>passenger&#39;s statement</strong>" in page
    assert ("Payout</dt><dd>to the account on file: DE02 **** **** **** 2051 "
            "(Deutsche Kreditbank Berlin)") in page
    assert "Language</dt><dd>German</dd>" in page
    claim = stored_claim(app, claim_id)
    assert claim.explanation_en and claim.explanation_de
    # The clerk's language first, what the passenger read beside it.
    assert f'<p id="explanation">{claim.explanation_en}' in page
    # Quoted, and marked as German: a screen reader reads it as German.
    assert ('The passenger reads (German):</small> <q lang="de">'
            + claim.explanation_de + "</q>") in page


def test_a_rejection_without_own_words_sends_the_standard_explanation_in_both_languages(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    [claim_id] = _open_claims(app, count=1)
    sign_in(client, "clerk@example.org", PASSWORD)
    _post(client, f"/clerk/claims/{claim_id}", f"/clerk/claims/{claim_id}/reject",
          reason="past-deadline", explanation="")
    claim = stored_claim(app, claim_id)
    assert claim.status == "rejected"
    assert claim.explanation_de and claim.explanation_de.startswith(
        "Ihr Antrag ist nach Ablauf der Frist")
    assert claim.explanation_en and claim.explanation_en.startswith(
        "Your claim reached us after the deadline")


def test_the_queue_pages_and_says_what_is_due(app: Flask, client: FlaskClient,
                                               staff: dict[str, int]) -> None:
    claim_ids = _open_claims(app, count=30)
    sign_in(client, "clerk@example.org", PASSWORD)
    first = client.get("/clerk/").get_data(as_text=True)
    assert "(30)" in first and "Page 1 of 2" in first
    assert first.count('href="/clerk/claims/') == 25
    assert "in 29 days" in first or "in 30 days" in first
    assert "waiting 0 days" in first
    second = client.get("/clerk/?page=2&reason=passenger-statement").get_data(as_text=True)
    assert second.count('href="/clerk/claims/') == 5 and "Page 2 of 2" in second
    previous = re.search(r'rel="prev" href="([^"]+)"', second)
    assert previous is not None
    assert sorted(previous.group(1).split("?")[1].split("&amp;")) == [
        "page=1", "reason=passenger-statement"]
    # Filed earliest first: the first page holds the first claims.
    assert f'href="/clerk/claims/{claim_ids[0]}"' in first
    assert f'href="/clerk/claims/{claim_ids[-1]}"' in second
    assert client.get("/clerk/?page=nonsense").status_code == 200


def test_a_cohort_proposes_the_cause_the_data_report_and_names_the_operator(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    _open_claims(app, count=2)  # the operations data say: technical
    sign_in(client, "clerk@example.org", PASSWORD)
    listing = client.get("/clerk/cohorts").get_data(as_text=True)
    assert "<td>Test Rail</td>" in listing
    url = f"/clerk/cohorts/test-rail/IC 2013/{DAY}"
    page = client.get(url).get_data(as_text=True)
    assert "<h1>Test Rail · IC 2013" in page
    assert '<option selected value="technical">' in page
    # Nothing chosen is refused, not taken for the first cause of the list.
    refused = _post(client, url, url, cause="")
    assert refused.status_code == 422 and "Choose the confirmed cause." in refused.get_data(
        as_text=True)


def test_a_cohort_without_a_cause_in_the_data_proposes_none(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    create_operator(app)
    load(app, [rail_booking(f"NOCA{index:02d}", passenger={"name": f"Eva Muster{index}"})
               for index in range(2)], [arrival(cause="unknown")])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_ids = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    assess_claims(factory, [filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name=f"Eva Muster{index}", passenger_email=None, arrived_with_service=None,
        statement="late", language="en"), effort={}).claim_id
        for index, booking_id in enumerate(booking_ids)])
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/cohorts/test-rail/IC 2013/{DAY}").get_data(as_text=True)
    assert '<option selected value="">' in page or "<option selected" not in page


def test_a_late_claim_says_when_the_journey_was_the_deadline_and_how_late(
        app: Flask, client: FlaskClient, staff: dict[str, int]) -> None:
    create_operator(app)
    journey = date.today() - timedelta(days=120)
    load(app, [rail_booking("LATE01", legs=[{**rail_booking()["legs"][-1],
                                             "scheduled_departure": f"{journey}T11:06:00+01:00",
                                             "scheduled_arrival": f"{journey}T11:44:00+01:00"}])],
         [arrival(date=journey.isoformat(), actual=f"{journey}T12:58:00+01:00")])
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    claim_id = filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Erika Mustermann", passenger_email=None, arrived_with_service=None,
        statement=None, language="en"), effort={}).claim_id
    assess_claims(factory, [claim_id])
    assert "past-deadline" in (stored_claim(app, claim_id).reason_codes or [])
    sign_in(client, "clerk@example.org", PASSWORD)
    page = client.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    lateness = re.search(r'<p class="callout" id="lateness">([^<]+)</p>', page)
    assert lateness is not None
    text = lateness.group(1)
    assert f"Journey on {journey.day} " in text and "the deadline was" in text
    # Three months after the journey, then the days since.
    assert re.search(r"filed on .+, (2[6-9]|3[0-2]) days late\.$", text), text
