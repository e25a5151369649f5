"""Every route of the URL map, called by everyone who might call it: anonymous, the
passenger (their booking in the session, their status link), a clerk, a manager and an
operator's API key, each POST with a valid CSRF token. Each answers what it must, and
none a 500 (issue 14), and each but the static files and the start page says
Cache-Control: no-store (issue 43). A new route fails this test until it says who it is
for."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.db.models import Claim
from claims.operators import accounts
from tests.helpers import (
    create_operator,
    csrf_token,
    load,
    look_up,
    run_worker,
    sign_in,
    status_path,
    submit,
)
from tests.records import arrival, rail_booking

PASSWORD = "correct horse battery staple"
PUBLIC, LINK, SESSION, STAFF, MANAGER, OPERATOR, DASHBOARD, SCRAPER = (
    "public", "status link", "passenger session", "staff", "manager", "operator key",
    "rq dashboard (managers)", "metrics token")
AUDIENCE = {
    "static": PUBLIC, "health.healthz": PUBLIC, "passenger.start": PUBLIC,
    "passenger.lookup": PUBLIC, "passenger.manual_claim": PUBLIC,
    "passenger.new_link": PUBLIC, "passenger.language": PUBLIC, "clerk.login": PUBLIC,
    "api.assessments": PUBLIC, "api.openapi": PUBLIC,
    # A signed invitation: a forged or stale one answers 410 and opens nothing.
    "passenger.invited": PUBLIC,
    "passenger.claim": SESSION, "passenger.claimed_journey": SESSION,
    "passenger.claimed_journey_page": SESSION, "passenger.other_journey_page": LINK,
    "passenger.status": LINK, "passenger.data_export": LINK, "passenger.eu_form": LINK,
    "passenger.letter": LINK, "passenger.other_journey": LINK, "passenger.appeal": LINK,
    "passenger.provide_info": LINK, "passenger.survey": LINK, "passenger.accept": LINK,
    "passenger.decline": LINK, "passenger.new_account": LINK,
    "clerk.queue": STAFF, "clerk.claim": STAFF, "clerk.take": STAFF, "clerk.take_next": STAFF,
    "clerk.release": STAFF, "clerk.approve": STAFF, "clerk.reject": STAFF,
    "clerk.request_info": STAFF, "clerk.revoke_links": STAFF, "clerk.erase": STAFF,
    "clerk.document": STAFF, "clerk.cohorts": STAFF, "clerk.cohort": STAFF,
    "clerk.second_approvals": STAFF,
    "clerk.logout": STAFF,
    "reports.overview": MANAGER, "reports.effort_csv": MANAGER, "reports.report_pdf": MANAGER,
    "reports.what_if_page": MANAGER, "reports.what_if_pdf": MANAGER, "reports.audit": MANAGER,
    "api.bookings": OPERATOR, "api.operations": OPERATOR, "api.bank_feedback_file": OPERATOR,
    "operations.metrics": SCRAPER,
}


def _audience(endpoint: str) -> str:
    return DASHBOARD if endpoint.startswith("rq_dashboard.") else AUDIENCE[endpoint]
CALLERS = ("anonymous", "passenger", "clerk", "manager", "operator")


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    key = create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    factory = app.extensions["effortless"].session_factory
    for email, role in (("clerk@example.org", "clerk"), ("boss@example.org", "manager")):
        accounts.create_user(factory, email, role, PASSWORD)
    passenger = app.test_client()
    look_up(passenger, "Q7K2LM", "Müller")
    submit(passenger, statement="Der Zug stand")  # a statement: it waits for a clerk
    run_worker(app)
    with factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    clients: dict[str, FlaskClient] = {}
    for caller in CALLERS:
        client = passenger if caller == "passenger" else app.test_client()
        if caller == "clerk":
            sign_in(client, "clerk@example.org", PASSWORD)
        if caller == "manager":
            sign_in(client, "boss@example.org", PASSWORD)
        clients[caller] = client
    return {"key": key, "claim_id": claim_id, "clients": clients,
            "token": status_path(app, claim_id).rsplit("/", 1)[1]}


def _url(rule: Any, world: dict[str, Any], *, token: str) -> str:
    values = {"claim_id": world["claim_id"], "document_id": 1, "token": token,
              "direction": "outbound", "code": "de", "operator": "test-rail",
              "service": "IC 2013", "day": "2026-03-02", "filename": "style.css"}
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values.get(name, "0")), path)
    return path


def _call(client: FlaskClient, method: str, url: str, caller: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if caller == "operator" else {}
    if method == "GET":
        return client.get(url, headers=headers)
    token = csrf_token(client.get("/new-link").get_data(as_text=True))
    if url.startswith("/api/"):
        return client.post(url, json=[], headers=headers)
    return client.post(url, data={"csrf_token": token}, headers=headers)


def _signed_out(response: Any) -> bool:
    return response.status_code == 302 and "/clerk/login" in response.location


def test_every_route_answers_each_caller_as_it_must(app: Flask, world: dict[str, Any]) -> None:
    rules = [rule for rule in app.url_map.iter_rules()]
    assert {rule.endpoint for rule in rules
            if not rule.endpoint.startswith("rq_dashboard.")} == set(AUDIENCE), \
        "a route without an audience: add it to AUDIENCE"
    # Signing out would end the staff sessions the rest of the calls need: it goes last.
    rules.sort(key=lambda rule: rule.endpoint == "clerk.logout")
    answered: list[str] = []
    for rule in rules:
        audience = _audience(rule.endpoint)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for caller in CALLERS:
                tokens = [world["token"], "not-a-token"] if audience == LINK else [world["token"]]
                for token in tokens:
                    url = _url(rule, world, token=token)
                    response = _call(world["clients"][caller], method, url, caller, world["key"])
                    what = f"{caller} {method} {url} -> {response.status_code}"
                    answered.append(what)
                    response.close()
                    assert response.status_code < 500, what
                    _expect(audience, caller, token == world["token"], response, what)
                    if rule.endpoint not in ("static", "passenger.start"):
                        # Personal data, or a page that may show it: kept by nobody.
                        assert response.headers.get("Cache-Control") == "no-store", what
    assert len(answered) > 200


def _expect(audience: str, caller: str, valid_token: bool, response: Any, what: str) -> None:
    status = response.status_code
    staff = caller in ("clerk", "manager")
    if audience == PUBLIC:
        assert status not in (401, 403) and not _signed_out(response), what
    elif audience == LINK:
        # A bearer link: whoever holds it is the passenger; a made-up one opens nothing.
        assert (status not in (401, 403, 404)) if valid_token else status == 404, what
    elif audience == SESSION:
        # Without a looked-up booking, back to the start; never someone else's booking.
        if caller != "passenger":
            assert status == 302 and response.location.endswith("/"), what
        else:
            assert status in (200, 302, 422), what
    elif audience == STAFF and what.split()[2] == "/clerk/logout":
        assert _signed_out(response), what  # for staff too: that is what it is for
    elif audience == STAFF:
        assert (not _signed_out(response) and status != 403) if staff else \
            _signed_out(response), what
    elif audience == MANAGER:
        if caller == "manager":
            assert status == 200, what
        elif caller == "clerk":
            assert status == 403, what
        else:
            assert _signed_out(response), what
    elif audience == DASHBOARD:
        if status == 308:
            return  # the routing's redirect to the canonical URL, before anything is read
        if caller == "manager":
            assert status not in (401, 403) and not _signed_out(response), what
        elif caller == "clerk":
            assert status == 403, what
        else:
            assert _signed_out(response), what
    elif audience == SCRAPER:
        assert status == 404, what  # no METRICS_TOKEN set: switched off for everyone
    elif audience == OPERATOR:
        assert (status in (200, 422)) if caller == "operator" else status == 401, what
