"""Erasing a passenger's personal data (DSGVO Art. 17): on their request, by a member of
staff, and by the retention job once a closed claim is old enough.

What goes: names, e-mail addresses, accounts and account holders, what the passenger
wrote (statement, objection, survey comment) and what staff wrote about it, uploaded
tickets, cached letters and every status link. What stays: amounts, dates, statuses,
reason codes, the event log (counts only, never typed text) and the effort records, so
that the reports and the books still add up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, ClaimStatus, EventKind
from claims.db.events import record_event
from claims.db.models import Booking, Claim, ClaimDocument, ClaimEvent, Payout, StatusLink
from claims.db.types import utcnow
from claims.processing.lifecycle import ClaimNotFound
from common.files import delete_older_than

SessionFactory = sessionmaker[Session]
# Nothing more will happen to these: paid, finally refused, or withdrawn.
CLOSED = frozenset({ClaimStatus.PAID, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN,
                    ClaimStatus.DECLINED})
ERASED_NAME = "–"
DEFAULT_RETENTION_DAYS = 3 * 365


class NotClosed(ValueError):
    """The claim is still being handled: erasing it now would lose a payment or a decision."""


@dataclass(frozen=True)
class Erased:
    claim_ids: tuple[int, ...]
    files: tuple[str, ...]  # names under the instance folder, for the caller to delete


def erase_on_request(session_factory: SessionFactory, claim_id: int, *,
                     staff_id: int) -> Erased:
    """The passenger asked: erase this claim and the rest of its booking's claims (the
    booking is theirs too), each with an event naming the staff member."""
    with session_factory.begin() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ClaimNotFound(claim_id)
        claims = [claim] if claim.booking_id is None else list(session.scalars(
            select(Claim).where(Claim.booking_id == claim.booking_id)))
        if any(ClaimStatus(c.status) not in CLOSED for c in claims):
            raise NotClosed(claim_id)
        files = [name for c in claims for name in _erase(session, c, Actor.CLERK, staff_id)]
        if claim.booking is not None:
            _erase_booking(claim.booking)
    return Erased(tuple(c.id for c in claims), tuple(files))


def erase_expired(session_factory: SessionFactory, *, days: int = DEFAULT_RETENTION_DAYS,
                  now: datetime | None = None, limit: int = 500) -> Erased:
    """Closed claims with nothing happening for `days` (their payment or final decision
    was the last thing): erased by the system, a batch per call."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    recent = exists().where(ClaimEvent.claim_id == Claim.id, ClaimEvent.at > cutoff)
    with session_factory.begin() as session:
        claims = list(session.scalars(
            select(Claim).where(Claim.erased_at.is_(None), Claim.status.in_(CLOSED),
                                Claim.submitted_at <= cutoff, ~recent)
            .order_by(Claim.id).limit(limit).with_for_update(skip_locked=True)))
        files = [name for c in claims for name in _erase(session, c, Actor.SYSTEM, None)]
        for booking in {c.booking for c in claims if c.booking is not None}:
            if all(other.erased_at is not None for other in session.scalars(
                    select(Claim).where(Claim.booking_id == booking.id))):
                _erase_booking(booking)
    return Erased(tuple(c.id for c in claims), tuple(files))


def _erase(session: Session, claim: Claim, actor: Actor, staff_id: int | None) -> list[str]:
    claim.passenger_name = ERASED_NAME
    claim.passenger_email = None
    claim.statement = None
    claim.payout_iban = None
    claim.payout_holder = None
    claim.payout_sort_code = claim.payout_account_number = None
    claim.clerk_note = None
    claim.proposed_note = None
    claim.appeal_text = None
    claim.ces_comment = None
    claim.erased_at = utcnow()
    for payout in session.scalars(select(Payout).where(Payout.claim_id == claim.id)):
        payout.iban = None
        payout.holder = None
        payout.sort_code = payout.account_number = None
    documents = list(session.scalars(select(ClaimDocument).where(
        ClaimDocument.claim_id == claim.id)))
    for document in documents:
        session.delete(document)
    session.execute(delete(StatusLink).where(StatusLink.claim_id == claim.id))
    record_event(session, EventKind.PERSONAL_DATA_ERASED, actor, claim_id=claim.id,
                 actor_id=staff_id, documents=len(documents))
    return [str(Path("uploads") / d.stored_name) for d in documents] + [
        f"letters/claim-{claim.id}-*"]


def _erase_booking(booking: Booking) -> None:
    booking.passenger_name = ERASED_NAME
    booking.passenger_email = None
    booking.payment_iban = None
    booking.payment_holder = None


def delete_files(instance_path: Path, names: tuple[str, ...]) -> int:
    """Remove the erased claims' files (uploads, cached letters); globs allowed."""
    removed = 0
    for name in names:
        for path in instance_path.glob(name):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def delete_old_payment_files(directory: Path, *, days: int = DEFAULT_RETENTION_DAYS,
                             now: datetime | None = None) -> int:
    """Payment files (SEPA, non-euro lists) name passengers and accounts: gone after the
    retention period, like the claims they paid. The runs' rows and totals stay."""
    return delete_older_than(directory, (now or utcnow()) - timedelta(days=days))
