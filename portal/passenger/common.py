"""What the passenger modules share: the status link, the passenger's session, the page
for a link a clerk ended, and the page's language."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, make_response, render_template, request, session

from claims.processing import status_links
from common.links import status_link
from portal.extensions import runtime
from portal.passenger.forms import LookupForm
from portal.templating import page_language

__all__ = ["booking_in_session", "link_ended", "link_url", "page_language",
           "remember_booking", "status_url"]


def status_url(claim_id: int, access_version: int = 0) -> str:
    """A fresh link for a passenger who has just shown who they are (filed, looked the
    booking up or followed an invitation, with the session's access_version, or followed
    a link of the booking's other journey): a token of its own, which a clerk can end.
    The page for an ended link where the clerk has ended the booking's links."""
    current = runtime()
    token = status_links.issue_on_page(current.session_factory, claim_id,
                                       access_version=access_version,
                                       days=current.settings.status_link_days)
    if token is None:
        link_ended()
    return link_url(token)


def link_url(token: str) -> str:
    """The status page's address for a token issued already."""
    return status_link(request.script_root, token)


def remember_booking(booking_id: int, access_version: int) -> None:
    """The booking looked up or invited to, with the access version the session began
    with: a clerk ending the passenger's links raises the booking's, and ends this."""
    session["booking_id"], session["booking_version"] = booking_id, access_version


def booking_in_session() -> tuple[int, int] | None:
    """The session's booking and access version; None where it holds none (send the
    passenger to the start). The page for an ended link where a clerk ended it, checked
    on every request: a copy of the cookie kept elsewhere stops working at once."""
    booking_id, version = session.get("booking_id"), session.get("booking_version")
    if not isinstance(booking_id, int) or not isinstance(version, int):
        return None
    if status_links.access_version(runtime().session_factory, booking_id) != version:
        link_ended()
    return booking_id, version


def link_ended() -> NoReturn:
    """The answer to a link, an invitation or a session a clerk ended: what happened, and
    the form that sends a new link to the address on the claim."""
    abort(make_response(render_template("passenger/new_link.html", form=LookupForm(),
                                        ended=True), 410))
