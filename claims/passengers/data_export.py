"""Everything stored about a claim, for the passenger who holds its status link (DSGVO
Art. 15): what they gave, what the booking says, what happened and what was paid. Account
numbers stay masked, as on every page: the link is a bearer link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.amounts import amount_text
from claims.core.iban import mask_iban
from claims.core.uk_accounts import mask_uk_account
from claims.db.models import Claim, ClaimDocument, ClaimEvent, InfoRequest
from claims.processing.lifecycle import ClaimNotFound
from claims.processing.payouts import compensation_payout


def masked(iban: str | None) -> str | None:
    return mask_iban(iban) or None


def masked_uk(sort_code: str | None, account_number: str | None) -> str | None:
    """A UK account: the sort code, and the account number's last four digits."""
    return mask_uk_account(sort_code, account_number) or None


def personal_data(session_factory: sessionmaker[Session], claim_id: int) -> dict[str, Any]:
    with session_factory() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ClaimNotFound(claim_id)
        booking = claim.booking
        payout = compensation_payout(session, claim.id)
        return {
            "claim": {
                "id": claim.id, "status": claim.status, "direction": claim.direction,
                "submitted_at": claim.submitted_at.isoformat(),
                "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
                "language": claim.language, "name": claim.passenger_name,
                "email": claim.passenger_email, "statement": claim.statement,
                "arrived_with_service": claim.arrived_with_service,
                "objection": claim.appeal_text, "journey_without_booking": claim.manual_journey,
                "payout_method": claim.payout_method,
                "payout_account": masked(claim.payout_iban) or masked_uk(
                    claim.payout_sort_code, claim.payout_account_number),
                "payout_account_holder": claim.payout_holder,
                "decision": {"eligible": claim.eligible,
                             "amount": amount_text(claim.amount), "currency": claim.currency,
                             "rule": claim.rule, "legal_basis": claim.legal_basis,
                             "reason_codes": claim.reason_codes or []},
                "survey": {"score": claim.ces_score, "comment": claim.ces_comment},
            },
            "booking": None if booking is None else {
                "reference": booking.reference, "name": booking.passenger_name,
                "email": booking.passenger_email,
                "fare": {"amount": amount_text(booking.fare_amount),
                         "currency": booking.fare_currency, "kind": booking.fare_kind},
                "account_on_file": masked(booking.payment_iban),
                "legs": [{"service": leg.service, "origin": leg.origin,
                          "destination": leg.destination,
                          "scheduled_departure": leg.scheduled_departure.isoformat(),
                          "scheduled_arrival": leg.scheduled_arrival.isoformat()}
                         for leg in claim.journey_legs],
            },
            "documents": [{"kind": d.kind, "content_type": d.content_type, "bytes": d.size}
                          for d in session.scalars(select(ClaimDocument).where(
                              ClaimDocument.claim_id == claim.id))],
            # What staff asked and the passenger answered (a file answered is a document).
            "answers": [{"asked_at": r.asked_at.isoformat(), "question": r.question,
                         "answered_at": r.answered_at.isoformat() if r.answered_at else None,
                         "arrived_with_service": r.arrived_with_service,
                         "arrival": r.actual_arrival.isoformat() if r.actual_arrival
                         else None, "price": amount_text(r.price), "cause": r.cause,
                         "statement": r.statement, "answer": r.answer}
                        for r in session.scalars(select(InfoRequest).where(
                            InfoRequest.claim_id == claim.id).order_by(InfoRequest.id))],
            "payout": None if payout is None else {
                "method": payout.method, "amount": amount_text(payout.amount),
                "currency": payout.currency,
                "account": masked(payout.iban) or masked_uk(payout.sort_code,
                                                            payout.account_number),
                "paid_at": payout.created_at.isoformat()},
            "history": [{"at": e.at.isoformat(), "what": e.kind, "by": e.actor}
                        for e in session.scalars(select(ClaimEvent).where(
                            ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id))],
        }
