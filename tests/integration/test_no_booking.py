"""Claims without a booking: the journey typed, the ticket uploaded and checked by its
content, stored under a name of our choosing, and decided by a clerk."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from claims.db.models import Booking, Claim, ClaimDocument
from claims.operators import accounts
from tests.helpers import (
    count,
    create_operator,
    csrf_token,
    file_claim,
    hidden_fields,
    load,
    run_worker,
    sign_in,
)
from tests.records import DAY, arrival, rail_booking

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _form(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    token = csrf_token(client.get("/manual").get_data(as_text=True))
    data: dict[str, Any] = {
        "csrf_token": token, "operator": "test-rail", "service": "RE 4711",
        "origin": "Köln Hbf", "destination": "Bonn Hbf", "travel_date": DAY,
        "scheduled_arrival": "13:42", "price": "12.40", "passenger_name": "Jana Nowak",
        "passenger_email": "jana@example.org", "payout": "iban",
        "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Jana Nowak",
        "ticket": (io.BytesIO(PDF), "../../etc/ticket scan.pdf")}
    data.update(changes)
    return data


def _submit(client: FlaskClient, data: dict[str, Any]) -> tuple[int, str, str | None]:
    """Post the form, encoded in memory: the test client would spool a large upload to a
    temporary file that it never closes."""
    stream, name = data.pop("ticket")
    fields = {**data, "ticket": FileStorage(stream=stream, filename=name)}
    boundary, body = encode_multipart(fields)
    with client.post("/manual", data=body,
                     content_type=f"multipart/form-data; boundary={boundary}") as response:
        return response.status_code, response.get_data(as_text=True), response.location


def _uploads(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_ticket_without_a_booking_goes_to_a_clerk_who_sees_it(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    assert 'href="/manual"' in client.get("/").get_data(as_text=True)
    status, _, location = _submit(client, _form(client))
    assert status == 302 and location is not None and location.startswith("/status/")
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        document = session.scalars(select(ClaimDocument)).one()
    assert (claim.status, claim.reason_codes, claim.booking_id) == (
        "needs_review", ["no-booking"], None)
    assert claim.manual_journey == {
        "service": "RE 4711", "origin": "Köln Hbf", "destination": "Bonn Hbf", "date": DAY,
        "scheduled_arrival": "13:42", "actual_arrival": None, "price": "12.40",
        "currency": "EUR"}
    [stored] = _uploads(app)
    assert stored.name == document.stored_name and stored.read_bytes() == PDF
    assert stored.name.startswith(f"{claim.id}-") and "ticket" not in stored.name

    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", "a-long-password")
    url = f"/clerk/claims/{claim.id}/documents/{document.id}"
    assert app.test_client().get(url).status_code == 302  # not for the public
    sign_in(client, "clerk@example.org", "a-long-password")
    page = client.get(f"/clerk/claims/{claim.id}").get_data(as_text=True)
    assert "RE 4711" in page and "12.40 EUR" in page and url in page
    # Beside the journey: the PDF in a frame, with a link that says what it is.
    assert f'<iframe src="{url}"' in page
    assert f'<a href="{url}">Open the ticket the passenger uploaded</a> (PDF' in page
    served = client.get(url)
    assert served.data == PDF and served.mimetype == "application/pdf"
    # Only the portal's own page may frame it; nothing in it may load or run anything.
    assert "frame-ancestors 'self'" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Frame-Options"] == "SAMEORIGIN"
    served.close()
    # No amount from the rules: the clerk sets one, and says why.
    assert "The rules computed no amount" in page
    # Something to start from: the first band of the fare, said where it comes from.
    assert 'value="3.10"' in page and "25 % of the fare (the first band)" in page
    token = csrf_token(page)
    client.post(f"/clerk/claims/{claim.id}/approve", data={
        "csrf_token": token, "amount": "3.10", "note": "25 % of the ticket, 62 min late"})
    with app.extensions["effortless"].session_factory() as session:
        approved = session.get(Claim, claim.id)
        assert approved is not None
        assert (approved.status, str(approved.amount), approved.currency) == (
            "approved", "3.10", "EUR")


def test_a_file_that_is_no_ticket_is_refused_and_nothing_is_saved(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    status, page, _ = _submit(client, _form(client, ticket=(
        io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "ticket.pdf")))
    assert status == 422 and "Upload a PDF, JPEG or PNG file." in page
    assert 'value="RE 4711"' in page and 'value="Jana Nowak"' in page  # nothing typed is lost
    assert count(app, Claim) == 0 and _uploads(app) == []


def test_the_form_keeps_the_ticket_names_the_currency_and_takes_the_real_arrival(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    form = client.get("/manual").get_data(as_text=True)
    # Nothing chosen for the passenger; each operator with the currency of its tickets.
    assert '<option value="">Choose…</option>' in form and "<option selected" not in form
    assert "Test Rail (EUR)" in form
    assert _submit(client, _form(client, operator=""))[0] == 422
    # An error elsewhere: the ticket attached is kept, not asked for again.
    status, page, _ = _submit(client, _form(client, service=""))
    assert status == 422 and 'id="ticket-kept"' in page
    kept = hidden_fields(page)["kept_ticket"]
    assert len(kept) == 32 and "/" not in kept
    data = _form(client, actual_arrival="14:05", kept_ticket=kept)
    data["ticket"] = (io.BytesIO(b""), "")
    status, _, location = _submit(client, data)
    assert status == 302 and location is not None
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        assert session.scalars(select(ClaimDocument.size)).one() == len(PDF)
    assert claim.manual_journey is not None
    assert claim.manual_journey["actual_arrival"] == "14:05"
    assert not (Path(app.instance_path) / "uploads" / "kept" / kept).exists()
    # A made-up token is no ticket.
    data = _form(client, kept_ticket="../../../etc/passwd" + "x" * 13)
    data["ticket"] = (io.BytesIO(b""), "")
    status, page, _ = _submit(client, data)
    assert status == 422 and "Add a photo or PDF of your ticket." in page
    # The status page names the case.
    assert f"case {claim.id}" in client.get(location).get_data(as_text=True)


def test_a_missing_field_and_a_bad_iban_are_named(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    status, page, _ = _submit(client, _form(client, service="", iban="DE00"))
    assert status == 422
    assert "Enter the train or flight" in page and "not a valid IBAN" in page
    assert count(app, Claim) == 0


def test_files_over_the_limit_are_refused_with_a_clear_message(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    just_over = PDF + b"0" * (5 * 1024 * 1024)
    status, page, _ = _submit(client, _form(client, ticket=(io.BytesIO(just_over), "big.pdf")))
    assert status == 422 and "at most 5 MB" in page
    far_over = PDF + b"0" * (7 * 1024 * 1024)
    status, page, _ = _submit(client, _form(client, ticket=(io.BytesIO(far_over), "huge.pdf")))
    assert status == 413 and "at most 5 MB" in page
    assert count(app, Claim) == 0 and _uploads(app) == []


def test_the_form_speaks_german(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    page = client.get("/manual", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Antrag ohne Buchung" in page and "Ihr Fahrschein" in page


def test_a_price_is_read_as_the_passenger_wrote_it_or_refused(
        app: Flask, client: FlaskClient) -> None:
    """"49,90" is 49.90 (not 4990); more than two decimals is refused, not rounded later."""
    create_operator(app)
    for typed in ("49,9O", "12.345", "1.234,50", "0"):
        status, page, _ = _submit(client, _form(client, price=typed))
        assert status == 422 and "Enter the price, such as 59.90." in page, typed
    status, _, _ = _submit(client, _form(client, price="49,90"))
    assert status == 302
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
    assert claim.manual_journey is not None and claim.manual_journey["price"] == "49.90"


def test_a_ticket_without_a_booking_for_a_journey_claimed_on_its_booking_is_a_duplicate(
        app: Flask, client: FlaskClient) -> None:
    """The same person, operator, train and day once with the booking and once without:
    one of them would be paid twice. A clerk sees both flagged."""
    create_operator(app)
    booking = rail_booking("JANA01", passenger={"name": "Jana Nowak"},
                           legs=[{**rail_booking()["legs"][-1], "service": "RE 4711"}])
    load(app, [booking, rail_booking("OTHER1", passenger={"name": "Olaf Other"},
                                     legs=[{**rail_booking()["legs"][-1],
                                            "service": "RE 4711"}])],
         [arrival(service="RE 4711")])
    file_claim(app, "JANA01", "Nowak")
    file_claim(app, "OTHER1", "Other")
    run_worker(app)
    status, _, _ = _submit(client, _form(client, service="re 4711"))
    assert status == 302
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        manual = session.scalars(select(Claim).where(Claim.booking_id.is_(None))).one()
        other = session.scalars(select(Claim).join(Claim.booking).where(
            Booking.reference == "OTHER1")).one()
    assert manual.reason_codes == ["no-booking", "possible-duplicate"]
    assert other.status == "approved"  # another passenger on the same train is no twin


def test_a_photographed_ticket_shows_beside_the_journey(app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    status, _, _ = _submit(client, _form(client, ticket=(io.BytesIO(photo), "ticket.png")))
    assert status == 302
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        claim = session.scalars(select(Claim)).one()
        document = session.scalars(select(ClaimDocument)).one()
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", "a-long-password")
    sign_in(client, "clerk@example.org", "a-long-password")
    page = client.get(f"/clerk/claims/{claim.id}").get_data(as_text=True)
    url = f"/clerk/claims/{claim.id}/documents/{document.id}"
    assert f'<img src="{url}" alt="The ticket the passenger uploaded"' in page
    # The page's own policy lets it show its images; the image is the staff's alone.
    assert "img-src 'self'" in client.get(f"/clerk/claims/{claim.id}").headers[
        "Content-Security-Policy"]
    assert app.test_client().get(url).status_code == 302
