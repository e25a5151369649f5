"""The passenger's way back to a claim without an account: a random token in a link.

Only the token's SHA-256 digest is stored (the token carries 192 random bits, so a fast
digest is enough: nobody can guess their way to one). Every e-mail and every look-up gets
a token of its own that expires; a clerk revokes all of a claim's tokens when one has
leaked, and the passenger asks for a fresh one with the booking reference and surname.

Revoking ends every way into the booking at once: the status links of all its claims
(stored, so marked revoked), and the invitations and passenger sessions that hold its id
(not stored: they carry the booking's access version, which revoking raises). From then
on the booking's claims open only from a link sent by e-mail: the status page showed the
reference and the name, so a look-up is no proof of being the passenger any more."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, EventKind
from claims.db.bulk import insert_row
from claims.db.engine import prepared
from claims.db.events import record_event
from claims.db.models import Booking, Claim, StatusLink
from claims.db.types import utcnow
from claims.processing.lifecycle import lock_claim

SessionFactory = sessionmaker[Session]
DEFAULT_DAYS = 180


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class LinkCheck:
    claim_id: int | None
    problem: LinkProblem | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, claim_id: int, *, days: int = DEFAULT_DAYS) -> str:
    """A new token for the claim, in the caller's transaction."""
    token, link = new_link(days=days)
    # The claim it points at is flushed already; nothing reads the link back here.
    insert_row(session, StatusLink, {"claim_id": claim_id, **link})
    return token


def new_link(*, days: int) -> tuple[str, dict[str, Any]]:
    """A new token, and the columns of its link but the claim's."""
    token = secrets.token_urlsafe(24)
    now = utcnow()
    return token, {"digest": _digest(token), "created_at": now,
                   "expires_at": now + timedelta(days=days)}


def issue_link(session_factory: SessionFactory, claim_id: int, *,
               days: int = DEFAULT_DAYS) -> str:
    with session_factory.begin() as session:
        return issue(session, claim_id, days=days)


# Built once: the status page checks its link on every visit (see filing._BOOKING).
_LINK_WITH_DIGEST = prepared(select(StatusLink.claim_id, StatusLink.revoked_at,
                                     StatusLink.expires_at).where(
    StatusLink.digest == bindparam("digest")))


def check(session_factory: SessionFactory, token: str) -> LinkCheck:
    with session_factory() as session:
        return check_in(session, token)


class LinkRefused(LookupError):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem)
        self.problem = problem


def claim_of(session: Session, token: str) -> int:
    """The claim the link opens, in the caller's transaction; LinkRefused if none."""
    checked = check_in(session, token)
    if checked.claim_id is None:
        raise LinkRefused(checked.problem or LinkProblem.UNKNOWN)
    return checked.claim_id


def check_in(session: Session, token: str) -> LinkCheck:
    if len(token) > 64:
        return LinkCheck(None, LinkProblem.UNKNOWN)
    link = session.execute(_LINK_WITH_DIGEST, {"digest": _digest(token)}).first()
    if link is None:
        return LinkCheck(None, LinkProblem.UNKNOWN)
    if link.revoked_at is not None:
        return LinkCheck(None, LinkProblem.REVOKED)
    if link.expires_at <= utcnow():
        return LinkCheck(None, LinkProblem.EXPIRED)
    return LinkCheck(link.claim_id)


def journey_claim(session_factory: SessionFactory, direction: str, *,
                  booking_id: int | None = None, claim_id: int | None = None) -> int | None:
    """The claim for one journey of a booking, given the booking or another of its claims:
    one link opens both directions of a return, as the passenger filed them together."""
    with session_factory() as session:
        if booking_id is None:
            booking_id = session.scalar(select(Claim.booking_id).where(Claim.id == claim_id))
        if booking_id is None:
            return None
        return session.scalar(select(Claim.id).where(Claim.booking_id == booking_id,
                                                     Claim.direction == direction))


def revoke_all(session_factory: SessionFactory, claim_id: int, *, staff_id: int) -> int:
    """Ends every way into the claim's booking (see the module's doc); the passenger asks
    for a new link by e-mail. Returns how many status links ended."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)  # ClaimNotFound for a claim that is not there
        claims = [claim_id]
        if claim.booking_id is not None:
            # First, and row-locked: a link handed out on a page (issue_on_page) waits for
            # the new version, or is written before and so revoked below.
            session.execute(update(Booking).where(Booking.id == claim.booking_id)
                            .values(access_version=Booking.access_version + 1))
            claims = list(session.scalars(select(Claim.id).where(
                Claim.booking_id == claim.booking_id)))
        revoked = len(session.scalars(
            update(StatusLink).where(StatusLink.claim_id.in_(claims),
                                     StatusLink.revoked_at.is_(None))
            .values(revoked_at=utcnow()).returning(StatusLink.id)).all())
        record_event(session, EventKind.STATUS_LINKS_REVOKED, Actor.CLERK, claim_id=claim_id,
                     actor_id=staff_id, links=revoked)
    return revoked


def access_version(session_factory: SessionFactory, booking_id: int) -> int | None:
    """The version an invitation or a session for the booking must carry; None for a
    booking that is not there (any more)."""
    with session_factory() as session:
        return session.scalar(select(Booking.access_version).where(Booking.id == booking_id))


def issue_on_page(session_factory: SessionFactory, claim_id: int, *,
                  access_version: int = 0, days: int = DEFAULT_DAYS) -> str | None:
    """A link handed out on a page rather than sent by e-mail: to a session that looked
    the booking up or followed an invitation (access_version: the one it began with), or
    from one journey's status page to the other's. None where the claim's booking had its
    links ended: from then on only an e-mailed link opens its claims."""
    with session_factory.begin() as session:
        booking_id = session.scalar(select(Claim.booking_id).where(Claim.id == claim_id))
        if booking_id is not None:
            # Row-locked: revoke_all waits for this link to be written, and revokes it.
            current = session.scalar(select(Booking.access_version).where(
                Booking.id == booking_id).with_for_update(read=True))
            if (current, access_version) != (0, 0):
                return None
        return issue(session, claim_id, days=days)


def request_new_links(session_factory: SessionFactory, booking_id: int) -> list[int]:
    """The claims of the booking that can be sent a new link (those with an e-mail
    address), each with an event that calls for the e-mail."""
    with session_factory.begin() as session:
        claim_ids = list(session.scalars(
            select(Claim.id).where(Claim.booking_id == booking_id,
                                   Claim.passenger_email.is_not(None)).order_by(Claim.id)))
        for claim_id in claim_ids:
            record_event(session, EventKind.STATUS_LINK_REQUESTED, Actor.PASSENGER,
                         claim_id=claim_id)
    return claim_ids
