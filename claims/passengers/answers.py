"""The passenger's answers to the clerk: the detail asked for, and an objection."""


from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from claims.core.names import surname_matches, surname_of
from claims.core.vocabulary import (
    PAYOUT_REASONS,
    Actor,
    ClaimStatus,
    EventKind,
    ReasonCode,
)
from claims.db.events import record_event
from claims.db.models import Claim
from claims.processing.lifecycle import lock_claim, move
from claims.processing.objections import can_object

SessionFactory = sessionmaker[Session]


class AnswerRefused(ValueError):
    """The claim is not waiting for this answer (any more)."""


# The passenger's side ----------------------------------------------------------------

def provide_info(session_factory: SessionFactory, claim_id: int,
                 answers: dict[str, str]) -> None:
    """info_requested -> needs_review, back in the queue with the answers."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.INFO_REQUESTED:
            raise AnswerRefused("not-requested")
        asked = (claim.requested_info or "").split()
        if "arrived_with_service" in asked:
            claim.arrived_with_service = answers["arrived_with_service"]
        notes = [claim.statement] if claim.statement else []
        if "arrival_time" in asked:
            notes.append(f"Arrival time: {answers['arrival_time']}")
        if "statement" in asked:
            notes.append(answers["statement"])
        claim.statement = "\n\n".join(notes) or None
        if "iban" in asked:
            claim.payout_method, claim.payout_iban = "iban", answers["iban"]
            claim.payout_holder = answers.get("holder") or claim.passenger_name
        move(claim, _after_answer(claim, asked))
        claim.requested_info = None
        record_event(session, EventKind.INFO_PROVIDED, Actor.PASSENGER, claim_id=claim.id,
                     items=len(asked))


def _after_answer(claim: Claim, asked: list[str]) -> ClaimStatus:
    """Back to the clerk, unless all that was missing was where to pay an approved claim
    and the account is the passenger's own (the rule a typed IBAN meets at filing)."""
    codes = claim.reason_codes or []
    if asked != ["iban"] or ReasonCode.NO_PAYOUT_ACCOUNT.value not in codes:
        return ClaimStatus.NEEDS_REVIEW
    owner = claim.booking.passenger_name if claim.booking else claim.passenger_name
    if surname_matches(owner, surname_of(claim.payout_holder or "")):
        return ClaimStatus.APPROVED
    claim.reason_codes = [*codes, ReasonCode.PAYOUT_HOLDER_DIFFERS.value]
    return ClaimStatus.NEEDS_REVIEW


def appeal(session_factory: SessionFactory, claim_id: int, text: str) -> None:
    """rejected -> needs_review with reason code appeal; once per claim. A payment made
    without a claim (proactive) may be objected to as well while it is not yet paid: the
    payment waits for the clerk."""
    if not text.strip():
        raise AnswerRefused("appeal-needs-text")
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if not can_object(claim):
            raise AnswerRefused("no-appeal")
        move(claim, ClaimStatus.NEEDS_REVIEW)
        claim.appeal_text = text.strip()
        kept = [code for code in claim.reason_codes or () if code in PAYOUT_REASONS]
        claim.reason_codes = [*kept, ReasonCode.APPEAL.value]
        claim.assigned_to = claim.assigned_at = None
        record_event(session, EventKind.APPEALED, Actor.PASSENGER, claim_id=claim.id)
