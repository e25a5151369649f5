"""What a passenger is told, and when: on the decision and on the payout, once each; and
when the bank sends the money back, once per return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import DECIDED, Actor, ClaimStatus, EventKind, NoticeKind, Origin
from claims.db.events import record_event
from claims.db.models import Claim, ClaimEvent
from claims.db.types import utcnow
from claims.processing.bank_feedback import failed_payment, paid_account_end
from claims.processing.objections import finally_rejected
from claims.processing.payouts import compensation_payout, in_a_file, paid_so_far

SENT_EVENT = {NoticeKind.DECISION: EventKind.DECISION_MAILED,
              NoticeKind.PAYOUT: EventKind.PAYOUT_MAILED,
              NoticeKind.INFO_REQUEST: EventKind.INFO_REQUEST_MAILED,
              NoticeKind.RECEIPT: EventKind.RECEIPT_MAILED,
              NoticeKind.NEW_LINK: EventKind.STATUS_LINK_MAILED,
              NoticeKind.OFFER: EventKind.OFFER_MAILED,
              NoticeKind.PAYOUT_FAILED: EventKind.PAYOUT_FAILED_MAILED}
# A notice answers the latest of these: a decision after an appeal is mailed again, and
# so is one whose amount corrected operations data raised.
CAUSE_EVENTS = {NoticeKind.DECISION: (EventKind.CLAIM_DECIDED, EventKind.AMOUNT_RAISED),
                NoticeKind.PAYOUT: (EventKind.CLAIM_PAID,),
                NoticeKind.INFO_REQUEST: (EventKind.INFO_REQUESTED,),
                NoticeKind.RECEIPT: (EventKind.CLAIM_SUBMITTED,),
                NoticeKind.NEW_LINK: (EventKind.STATUS_LINK_REQUESTED,),
                # A revised offer (corrected data) is an offer made again: mailed again.
                NoticeKind.OFFER: (EventKind.OFFER_MADE,),
                # Each return asks for another account (a second one returned, again).
                NoticeKind.PAYOUT_FAILED: (EventKind.PAYMENT_RETURNED,)}
RECEIPT_FRESH = timedelta(days=1)


@dataclass(frozen=True)
class Notice:
    claim_id: int
    kind: NoticeKind
    language: str
    email: str
    name: str
    operator: str
    reference: str | None
    status: ClaimStatus
    amount: Decimal | None
    currency: str | None
    explanation: str | None
    legal_basis: str | None
    payout_method: str | None = None
    voucher_code: str | None = None
    iban_end: str | None = None
    # Proactive: offered or paid without a claim from the passenger.
    proactive: bool = False
    # Raised after corrected data: what is paid on top of the earlier payment.
    top_up: Decimal | None = None
    # The bank sent the money back: its reason in words, in the passenger's language.
    bank_reason: str | None = None
    # Where an approved claim's money goes, before it is paid: "account" (on file),
    # "iban" or "uk-account" (given by the passenger), "voucher".
    payout_to: str | None = None
    # Rejected with no objection left (objected to and rejected again): the e-mail points
    # to the bodies the page names, not to an objection.
    final_rejection: bool = False


def pending_notice(session_factory: sessionmaker[Session], claim_id: int,
                   kind: NoticeKind) -> Notice | None:
    """The notice to send, or None: no e-mail address, not due, or sent already."""
    with session_factory() as session:
        claim = session.get(Claim, claim_id)
        if claim is None or not claim.passenger_email:
            return None
        status = ClaimStatus(claim.status)
        if kind == NoticeKind.DECISION and status not in DECIDED:
            return None
        if kind == NoticeKind.INFO_REQUEST and status != ClaimStatus.INFO_REQUESTED:
            return None
        proactive = claim.origin == Origin.PROACTIVE
        # A receipt is worth sending only while the claim is fresh (a decision sends a
        # receipt still due first: not one from last week).
        if kind == NoticeKind.RECEIPT and (status == ClaimStatus.WITHDRAWN or proactive
                                           or claim.submitted_at <= utcnow() - RECEIPT_FRESH):
            return None
        if kind == NoticeKind.OFFER and status != ClaimStatus.OFFERED:
            return None
        if kind == NoticeKind.PAYOUT_FAILED and status != ClaimStatus.PAYOUT_FAILED:
            return None
        payout = compensation_payout(session, claim_id)
        if kind == NoticeKind.PAYOUT and (payout is None or not in_a_file(session, payout)):
            return None
        if _sent(session, claim_id, kind):
            return None
        german = claim.language.startswith("de")
        returned = failed_payment(session, claim_id) \
            if kind == NoticeKind.PAYOUT_FAILED else None
        return Notice(
            claim_id=claim.id, kind=kind, language="de" if german else "en",
            email=claim.passenger_email, name=claim.passenger_name,
            operator=claim.operator.name,
            reference=claim.booking.reference if claim.booking else None, status=status,
            amount=claim.amount, currency=claim.currency,
            explanation=claim.explanation_de if german else claim.explanation_en,
            legal_basis=claim.legal_basis,
            payout_method=payout.method if payout else None,
            voucher_code=payout.voucher_code if payout else None,
            iban_end=paid_account_end(payout) if payout else
            _account_end(claim) if status in (ClaimStatus.OFFERED, ClaimStatus.APPROVED)
            else None,
            proactive=proactive, top_up=_top_up(session, claim),
            bank_reason=returned.reason("de" if german else "en") if returned else None,
            payout_to=claim.payout_method if status == ClaimStatus.APPROVED else None,
            final_rejection=finally_rejected(claim),
        )


def _top_up(session: Session, claim: Claim) -> Decimal | None:
    """What a raise after payment adds to what was paid, while it is still to be paid."""
    if claim.status != ClaimStatus.APPROVED or claim.amount is None:
        return None
    paid = paid_so_far(session, claim.id)
    return claim.amount - paid if paid else None


def _account_end(claim: Claim) -> str | None:
    """The last four characters of the account the money will go to, before it is paid."""
    if claim.payout_method == "iban" and claim.payout_iban:
        return claim.payout_iban[-4:]
    if claim.payout_method == "uk-account" and claim.payout_account_number:
        return claim.payout_account_number[-4:]
    if claim.payout_method == "account" and claim.booking and claim.booking.payment_iban:
        return claim.booking.payment_iban[-4:]
    return None


def mark_sent(session_factory: sessionmaker[Session], claim_id: int, kind: NoticeKind) -> None:
    with session_factory.begin() as session:
        record_event(session, SENT_EVENT[kind], Actor.SYSTEM, claim_id=claim_id)


def unsent(kind: NoticeKind) -> ColumnElement[bool]:
    """The one definition of "not sent yet", for the job and the sweeper alike: no notice
    of this kind since the latest event that called for it (a decision after an appeal
    calls for a second decision notice)."""
    latest_cause = select(func.max(ClaimEvent.id)).where(
        ClaimEvent.claim_id == Claim.id,
        ClaimEvent.kind.in_(CAUSE_EVENTS[kind])).correlate(Claim).scalar_subquery()
    return ~exists().where(ClaimEvent.claim_id == Claim.id,
                           ClaimEvent.kind == SENT_EVENT[kind],
                           ClaimEvent.id > func.coalesce(latest_cause, 0)).correlate(Claim)


def _sent(session: Session, claim_id: int, kind: NoticeKind) -> bool:
    return session.scalar(select(Claim.id).where(Claim.id == claim_id, unsent(kind))) is None


def notices_due(session_factory: sessionmaker[Session], limit: int = 1000,
                ) -> list[tuple[int, NoticeKind]]:
    """Notices that should have gone out and have not: for the sweeper, after an outage."""
    due: list[tuple[int, NoticeKind]] = []
    with session_factory() as session:
        for kind, statuses in ((NoticeKind.DECISION, DECIDED),
                               (NoticeKind.PAYOUT, {ClaimStatus.PAID}),
                               (NoticeKind.INFO_REQUEST, {ClaimStatus.INFO_REQUESTED}),
                               (NoticeKind.OFFER, {ClaimStatus.OFFERED}),
                               (NoticeKind.PAYOUT_FAILED, {ClaimStatus.PAYOUT_FAILED})):
            due += [(claim_id, kind) for claim_id in session.scalars(
                select(Claim.id).where(Claim.status.in_(statuses),
                                       Claim.passenger_email.is_not(None),
                                       unsent(kind)).order_by(Claim.id).limit(limit))]
        # A receipt is worth sending only while the claim is fresh; the decision e-mail
        # carries the same link.
        due += [(claim_id, NoticeKind.RECEIPT) for claim_id in session.scalars(
            select(Claim.id).where(Claim.status != ClaimStatus.WITHDRAWN,
                                   Claim.origin == Origin.PASSENGER,
                                   Claim.passenger_email.is_not(None),
                                   Claim.submitted_at > utcnow() - RECEIPT_FRESH,
                                   unsent(NoticeKind.RECEIPT)).order_by(Claim.id).limit(limit))]
    return due
