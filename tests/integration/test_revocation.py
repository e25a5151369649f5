"""A clerk ending a passenger's links ends every way into the booking on the next request:
the status links, an invitation, a session cookie kept elsewhere, and a look-up with the
reference and name a leaked page showed; a new link by e-mail is the way back (issue 43)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from claims.db.models import Claim, JourneyCheck, StatusLink
from claims.operators import accounts
from claims.processing.proactive import Invitation, pending_invitation
from tests.helpers import (
    NEW_LINK,
    create_operator,
    csrf_token,
    file_clear_claim,
    hidden_fields,
    load,
    look_up,
    mail_bodies,
    mails,
    run_worker,
    sign_in,
    status_links_in,
)
from tests.records import arrival, return_booking
from workflows.mail import compose_invitation

PASSWORD = "correct horse battery staple"


def _invitation_path(app: Flask, booking_id: int) -> str:
    """The link of an invitation e-mail for the booking, sent before the revocation."""
    message = compose_invitation(
        Invitation(booking_id=booking_id, direction="outbound", email="hans@example.org",
                   name="Hans Müller", language="en", operator="Test Rail",
                   reference="Q7K2LM"), app.extensions["effortless"].settings)
    link = re.search(r"https?://[^/\s]+(/invited/\S+)",
                     message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert link
    return link.group(1)


def _revoke(app: Flask, claim_id: int) -> None:
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", PASSWORD)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    ended = clerk.post(f"/clerk/claims/{claim_id}/revoke-links",
                       data={"csrf_token": csrf_token(page)})
    assert ended.status_code == 302


def _live_links(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(StatusLink).where(
            StatusLink.revoked_at.is_(None))) or 0


def _is_ended_page(response: object, language: str = "en") -> None:
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 410, text  # type: ignore[attr-defined]
    assert "hans@example.org" not in text and "Müller" not in text
    assert 'action="/new-link"' in text
    assert ("This link has ended" if language == "en" else "Dieser Link ist beendet") in text


def test_revocation_ends_every_way_in_and_an_emailed_link_opens_the_claim(app: Flask) -> None:
    browser, page_url = file_clear_claim(app)  # the browser keeps its session cookie
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim_id, booking_id = session.execute(select(Claim.id, Claim.booking_id)).one()
    invitation = _invitation_path(app, booking_id)
    mailed = status_links_in("\n".join(mail_bodies(app)))
    # Before: each of them opens the claim (the session by its button, the invitation by
    # minting a status link, whose data.json shows the e-mail address).
    assert browser.get("/claim").status_code == 200
    assert app.test_client().get(invitation).status_code == 302
    assert browser.get(page_url + "/data.json").status_code == 200

    _revoke(app, claim_id)
    assert _live_links(app) == 0

    # The session cookie kept in the browser: the claim form and the claimed journey.
    for path in ("/claim", "/claim/outbound/status"):
        _is_ended_page(browser.get(path))
    # The invitation: the ended page, and no session behind it.
    invited = app.test_client()
    _is_ended_page(invited.get(invitation))
    assert invited.get("/claim").location.endswith("/")
    # Every status link, and its personal data.
    for link in [page_url, *mailed]:
        _is_ended_page(browser.get(link))
        _is_ended_page(browser.get(link + "/data.json"))
    # The reference and surname, which the leaked page showed: the form's ended page.
    stranger = app.test_client()
    # Every journey claimed: the ended page, its form keeping what the stranger typed.
    ended = look_up(stranger, "Q7K2LM", "Müller")
    assert ended.status_code == 410 and "hans@example.org" not in ended.get_data(as_text=True)
    claimed = stranger.get("/claim").get_data(as_text=True)  # a button, no link made
    _is_ended_page(stranger.post("/claim/outbound/status",
                                 data={"csrf_token": csrf_token(claimed)}))
    german = app.test_client()
    german.get("/language/de")
    _is_ended_page(german.get(page_url), "de")
    # None of them made a link that works.
    assert _live_links(app) == 0

    # The way back: a new link by e-mail, from the ended page's own form.
    passenger = app.test_client()
    form = passenger.get(page_url).get_data(as_text=True)
    sent = passenger.post("/new-link", data={"csrf_token": csrf_token(form),
                                             "reference": "Q7K2LM", "surname": "Müller"})
    assert sent.status_code == 200
    run_worker(app)
    assert mails(app)[-1] == ("hans@example.org", NEW_LINK)
    [fresh] = status_links_in(mail_bodies(app)[-1])
    assert passenger.get(fresh).status_code == 200
    data = passenger.get(fresh + "/data.json")
    assert data.status_code == 200 and "hans@example.org" in data.get_data(as_text=True)


def test_a_session_copied_before_the_revocation_stops_working(app: Flask) -> None:
    """The cookie as someone copied it (a shared computer, a synced profile): the
    browser that is told to drop the booking is not the one that matters."""
    browser, _page_url = file_clear_claim(app)
    cookie = browser.get_cookie("session")
    assert cookie is not None
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    _revoke(app, claim_id)
    copy = app.test_client()
    copy.set_cookie(cookie.key, cookie.value)
    _is_ended_page(copy.get("/claim"))
    copy = app.test_client()
    copy.set_cookie(cookie.key, cookie.value)
    _is_ended_page(copy.get("/claim/outbound/status"))
    assert _live_links(app) == 0



def test_a_journey_filed_after_the_revocation_does_not_open_its_ended_sibling(
        app: Flask) -> None:
    """A return ticket, its outbound journey claimed and its links ended: whoever knows
    the reference and the name may still claim the open return journey, but its status
    page's way to the outbound claim ends too."""
    create_operator(app)
    load(app, [return_booking("RETURN", "Hans Müller")], [arrival()])
    passenger = app.test_client()
    look_up(passenger, "RETURN", "Müller")
    page = passenger.get("/claim").get_data(as_text=True)
    filed = passenger.post("/claim", data={**hidden_fields(page), "journeys": ["outbound"],
                                           "passenger_name": "Hans Müller",
                                           "passenger_email": "hans@example.org"})
    assert filed.status_code == 302
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    _revoke(app, claim_id)

    stranger = app.test_client()
    look_up(stranger, "RETURN", "Müller")
    page = stranger.get("/claim").get_data(as_text=True)
    assert hidden_fields(page)["shown_choices"] == "account return"
    filed = stranger.post("/claim", data={**hidden_fields(page),
                                          "passenger_name": "Someone Else"})
    assert filed.status_code == 302 and "/status/" in filed.location
    status_page = stranger.get(filed.location)
    assert status_page.status_code == 200
    token = {"csrf_token": csrf_token(status_page.get_data(as_text=True))}
    # The buttons to the outbound claim, from its status page and from the claim page.
    _is_ended_page(stranger.post(filed.location + "/journey/outbound", data=token))
    _is_ended_page(stranger.post("/claim/outbound/status", data=token))


def test_an_invitation_sent_after_the_revocation_opens_the_open_journey(app: Flask) -> None:
    """The invitation carries the booking's version as it is when the e-mail goes out:
    one from before the revocation ends, one sent after it opens the claim form."""
    create_operator(app)
    booking = return_booking("RETURN", "Hans Müller")
    booking["passenger"]["email"] = "hans@example.org"  # where the invitation goes
    load(app, [booking], [arrival()])
    passenger = app.test_client()
    look_up(passenger, "RETURN", "Müller")
    page = passenger.get("/claim").get_data(as_text=True)
    assert passenger.post("/claim", data={
        **hidden_fields(page), "journeys": ["outbound"], "passenger_name": "Hans Müller",
        "passenger_email": "hans@example.org"}).status_code == 302
    factory = app.extensions["effortless"].session_factory
    with factory.begin() as session:
        claim_id, booking_id, operator_id = session.execute(
            select(Claim.id, Claim.booking_id, Claim.operator_id)).one()
        session.add(JourneyCheck(booking_id=booking_id, direction="return",
                                 operator_id=operator_id, regime="eu-rail", outcome="invited",
                                 eligible=False,
                                 arrived_at=datetime(2026, 3, 2, 18, 51, tzinfo=UTC)))
    before = _invitation_path(app, booking_id)
    _revoke(app, claim_id)
    invitation = pending_invitation(factory, booking_id, "return")
    assert invitation is not None
    message = compose_invitation(invitation, app.extensions["effortless"].settings)
    after = re.search(r"https?://[^/\s]+(/invited/\S+)",
                      message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert after

    _is_ended_page(app.test_client().get(before))
    invited = app.test_client()
    assert invited.get(after.group(1)).status_code == 302
    form = invited.get("/claim")
    assert form.status_code == 200
    assert hidden_fields(form.get_data(as_text=True))["shown_choices"] == "account return"
