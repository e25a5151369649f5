"""Erasing a passenger's personal data (DSGVO Art. 17): on their request, by a member of
staff, and by the retention job once nothing has happened for the retention period to a
claim that is closed or waits for the passenger (an offer, a question, a new account
never answered), or to a booking nobody claimed.

What goes: names, e-mail addresses, accounts and account holders, what the passenger
wrote (statement, objection, survey comment) and what staff wrote about it (notes, the
decision's explanation), uploaded tickets, cached letters, the e-mails in the
development outbox and every status link; the caller deletes the files named in Erased
and the claims' and bookings' jobs in Redis (workflows.pipeline.forget_erased). What
stays: amounts, dates, statuses, reason codes,
the event log (counts only, never typed text) and the effort records, so that the
reports and the books still add up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from claims.core.mail_labels import outbox_files_of_booking, outbox_files_of_claim
from claims.core.vocabulary import Actor, ClaimStatus, EventKind
from claims.db.events import record_event
from claims.db.models import (
    Booking,
    Claim,
    ClaimDocument,
    ClaimEvent,
    InfoRequest,
    JourneyCheck,
    Payout,
    StatusLink,
)
from claims.db.types import utcnow
from claims.processing.lifecycle import ClaimNotFound
from common.files import delete_older_than

SessionFactory = sessionmaker[Session]
# Nothing more will happen to these: paid, finally refused, or withdrawn.
CLOSED = frozenset({ClaimStatus.PAID, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN,
                    ClaimStatus.DECLINED})
# Waiting for the passenger, who never answered: an offer, a clerk's question, the
# account to pay to after the bank sent the money back. After the retention period with
# nothing happening the claim keeps its status and loses its personal data.
UNANSWERED = frozenset({ClaimStatus.OFFERED, ClaimStatus.INFO_REQUESTED,
                        ClaimStatus.PAYOUT_FAILED})
ERASED_NAME = "–"
DEFAULT_RETENTION_DAYS = 3 * 365


class NotClosed(ValueError):
    """The claim is still being handled: erasing it now would lose a payment or a decision."""


@dataclass(frozen=True)
class Erased:
    claim_ids: tuple[int, ...]
    files: tuple[str, ...]  # names under the instance folder, for the caller to delete
    # Every booking whose personal data went: with its claims, or never claimed.
    booking_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.claim_ids or self.booking_ids)


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
        bookings = [] if claim.booking is None else [claim.booking]
        files += [name for booking in bookings for name in _erase_booking(booking)]
    return Erased(tuple(c.id for c in claims), tuple(files), tuple(b.id for b in bookings))


def erase_expired(session_factory: SessionFactory, *, days: int = DEFAULT_RETENTION_DAYS,
                  now: datetime | None = None, limit: int = 500) -> Erased:
    """Erased by the system, a batch per call, with nothing happening for `days`: closed
    claims (their payment or final decision was the last thing), claims the passenger
    never answered (UNANSWERED), and bookings never claimed (imported, perhaps looked up
    or invited to file, and no more); a booking goes with the last of its claims."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    recent = exists().where(ClaimEvent.claim_id == Claim.id, ClaimEvent.at > cutoff)
    with session_factory.begin() as session:
        claims = list(session.scalars(
            select(Claim).where(Claim.erased_at.is_(None),
                                Claim.status.in_(CLOSED | UNANSWERED),
                                Claim.submitted_at <= cutoff, ~recent)
            .order_by(Claim.id).limit(limit).with_for_update(skip_locked=True)))
        files = [name for c in claims for name in _erase(session, c, Actor.SYSTEM, None)]
        bookings = [booking for booking in {c.booking for c in claims if c.booking is not None}
                    if all(other.erased_at is not None for other in session.scalars(
                        select(Claim).where(Claim.booking_id == booking.id)))]
        bookings += _unclaimed_bookings(session, cutoff, limit)
        files += [name for booking in bookings for name in _erase_booking(booking)]
    return Erased(tuple(c.id for c in claims), tuple(files),
                  tuple(sorted(b.id for b in bookings)))


def _unclaimed_bookings(session: Session, cutoff: datetime, limit: int) -> list[Booking]:
    """Bookings without a claim, imported before the cutoff and untouched since: no look-up,
    no journey checked, no invitation mailed."""
    claimed = exists().where(Claim.booking_id == Booking.id)
    looked_up = exists().where(ClaimEvent.booking_id == Booking.id, ClaimEvent.at > cutoff)
    checked = exists().where(JourneyCheck.booking_id == Booking.id,
                             (JourneyCheck.checked_at > cutoff)
                             | (JourneyCheck.mailed_at > cutoff))
    return list(session.scalars(
        select(Booking).where(Booking.passenger_name != ERASED_NAME,
                              Booking.imported_at <= cutoff, ~claimed, ~looked_up, ~checked)
        .order_by(Booking.id).limit(limit).with_for_update(skip_locked=True)))


def _erase(session: Session, claim: Claim, actor: Actor, staff_id: int | None) -> list[str]:
    claim.passenger_name = ERASED_NAME
    claim.passenger_email = None
    claim.statement = None
    claim.payout_iban = None
    claim.payout_holder = None
    claim.payout_sort_code = claim.payout_account_number = None
    claim.clerk_note = None
    # The decision's words for the passenger: a clerk's own may name or quote her. The
    # rule, legal basis and reason codes say why it was decided, for the books.
    claim.explanation_en = claim.explanation_de = None
    claim.proposed_note = None
    claim.appeal_text = None
    claim.ces_comment = None
    claim.erased_at = utcnow()
    for payout in session.scalars(select(Payout).where(Payout.claim_id == claim.id)):
        payout.iban = None
        payout.holder = None
        payout.sort_code = payout.account_number = None
    # The passenger's answers to a clerk and the clerk's questions may name her; the
    # facts the rules read (an arrival, a price) stay, as the decision does.
    session.execute(update(InfoRequest).where(InfoRequest.claim_id == claim.id).values(
        question=None, answer=None, statement=None, arrived_with_service=None,
        document_id=None))
    documents = list(session.scalars(select(ClaimDocument).where(
        ClaimDocument.claim_id == claim.id)))
    for document in documents:
        session.delete(document)
    session.execute(delete(StatusLink).where(StatusLink.claim_id == claim.id))
    record_event(session, EventKind.PERSONAL_DATA_ERASED, actor, claim_id=claim.id,
                 actor_id=staff_id, documents=len(documents))
    return [str(Path("uploads") / d.stored_name) for d in documents] + [
        f"letters/claim-{claim.id}-*", outbox_files_of_claim(claim.id)]


def _erase_booking(booking: Booking) -> list[str]:
    booking.passenger_name = ERASED_NAME
    booking.passenger_email = None
    booking.payment_iban = None
    booking.payment_holder = None
    return [outbox_files_of_booking(booking.id)]


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
