"""Pages with personal data are kept by no browser or proxy: Cache-Control: no-store on
every response but the ones for everyone (issue 43). test_route_map checks every route
for every caller; this one opens each page that shows a passenger's data, as it shows it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from claims.db.models import Claim
from claims.operators import accounts
from tests.helpers import (
    create_operator,
    csrf_token,
    file_clear_claim,
    load,
    look_up,
    sign_in,
)
from tests.records import arrival, rail_booking

PASSWORD = "correct horse battery staple"


def _kept_by_nobody(response: object, shows: str | None = "Müller") -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    if shows is not None:
        assert shows in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert headers.get("Cache-Control") == "no-store"


def test_each_page_with_personal_data_says_no_store(app: Flask) -> None:
    browser, status_url = file_clear_claim(app)
    _kept_by_nobody(browser.get(status_url), shows="Q7K2LM")
    _kept_by_nobody(browser.get(status_url + "/data.json"), shows="hans@example.org")
    for path in ("/letter.pdf", "/form.pdf"):
        _kept_by_nobody(browser.get(status_url + path), shows=None)

    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    _kept_by_nobody(clerk.get(f"/clerk/claims/{claim_id}"))
    _kept_by_nobody(clerk.get("/clerk/"), shows=None)


def test_the_claim_form_of_a_booking_says_no_store_and_the_start_page_may_be_kept(
        app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    passenger = app.test_client()
    assert "no-store" not in passenger.get("/").headers.get("Cache-Control", "")
    look_up(passenger, "Q7K2LM", "Müller")
    _kept_by_nobody(passenger.get("/claim"), shows="hans@example.org")
    # A page sent back shows what was typed.
    page = passenger.get("/claim").get_data(as_text=True)
    refused = passenger.post("/claim", data={"csrf_token": csrf_token(page),
                                             "passenger_name": "Hans Müller",
                                             "passenger_email": "not an address"})
    assert refused.status_code == 422 and refused.headers["Cache-Control"] == "no-store"
