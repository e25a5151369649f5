"""The claim's states and the transitions between them.

submitted -> assessing -> approved | rejected | needs_review (<-> info_requested) -> paid;
withdrawn from any open state. Proactive: offered -> approved | declined | withdrawn.
A raise after payment: paid -> approved (the difference) | needs_review.
A transfer the bank returns: paid -> payout_failed -> approved once the passenger gives
another account.
Every transition is checked here; an illegal one is refused, and the refusal is logged
and written to the event log."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, ClaimStatus, EventKind
from claims.db.dialect import one_of
from claims.db.events import record_event
from claims.db.models import Claim

log = logging.getLogger(__name__)
S = ClaimStatus

ALLOWED: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    S.SUBMITTED: frozenset({S.ASSESSING, S.WITHDRAWN}),
    S.ASSESSING: frozenset({S.APPROVED, S.REJECTED, S.NEEDS_REVIEW, S.WITHDRAWN}),
    S.NEEDS_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.INFO_REQUESTED, S.WITHDRAWN}),
    # Back to approved when all that was missing was an account to pay to.
    # And to the rules again when the answer changed a fact they use (the arrival, the
    # price): the assessment decides it as it decides any claim.
    S.INFO_REQUESTED: frozenset({S.NEEDS_REVIEW, S.APPROVED, S.SUBMITTED, S.WITHDRAWN}),
    # Approved to the account on file, which the operator's data no longer hold: the
    # passenger is asked for one instead of being paid nowhere (or in vouchers unasked).
    # And to a clerk when the passenger objects to a payment made without a claim.
    S.APPROVED: frozenset({S.PAID, S.INFO_REQUESTED, S.NEEDS_REVIEW}),
    S.REJECTED: frozenset({S.NEEDS_REVIEW}),  # an appeal
    # Corrected data raised the amount after payment: approved again for the difference
    # (claims.processing.payouts pays what the claim still owes), or to a clerk first
    # where the new total needs a person (claims.core.approvals). And the bank returned
    # or refused the transfer (claims.processing.bank_feedback).
    S.PAID: frozenset({S.APPROVED, S.NEEDS_REVIEW, S.PAYOUT_FAILED}),
    # Another account given: paid again by the next run. Nothing else: the decision
    # stands, only where the money goes is missing.
    S.PAYOUT_FAILED: frozenset({S.APPROVED}),
    # An offer corrected data withdrew is made again (or handed to a clerk) when data
    # corrected once more make the journey due: one claim per journey, never a second.
    S.WITHDRAWN: frozenset({S.OFFERED, S.NEEDS_REVIEW}),
    # An offer: accepted (approved, to be paid; to a clerk first when the account typed
    # is someone else's), declined, or withdrawn when corrected data show nothing due.
    S.OFFERED: frozenset({S.APPROVED, S.NEEDS_REVIEW, S.DECLINED, S.WITHDRAWN}),
    S.DECLINED: frozenset(),
}


class ClaimNotFound(LookupError):
    pass


def lock_claim(session: Session, claim_id: int) -> Claim:
    """The claim, row-locked: two workers or clerks acting on one claim take turns."""
    claim = session.get(Claim, claim_id, with_for_update={"key_share": True})
    if claim is None:
        raise ClaimNotFound(claim_id)
    return claim


class IllegalTransition(Exception):
    def __init__(self, claim_id: int, current: ClaimStatus, wanted: ClaimStatus) -> None:
        super().__init__(f"claim {claim_id}: {current} -> {wanted} is not allowed")
        self.claim_id, self.current, self.wanted = claim_id, current, wanted


def can_move(current: ClaimStatus, wanted: ClaimStatus) -> bool:
    return wanted in ALLOWED[current]


def move(claim: Claim, wanted: ClaimStatus) -> None:
    """Change the status inside the caller's transaction, or raise IllegalTransition."""
    current = ClaimStatus(claim.status)
    if not can_move(current, wanted):
        raise IllegalTransition(claim.id, current, wanted)
    claim.status = wanted


def move_all(session: Session, claims: Sequence[Claim], wanted: ClaimStatus) -> None:
    """The same move for many claims, each checked as `move` checks it, written as one
    UPDATE: a payout run's 5,000 moves flushed one object at a time were a quarter of its
    time on PostgreSQL. The claims in the session show the new status afterwards."""
    for claim in claims:
        current = ClaimStatus(claim.status)
        if not can_move(current, wanted):
            raise IllegalTransition(claim.id, current, wanted)
    if claims:
        session.execute(update(Claim).where(one_of(session, Claim.id,
                                                   [claim.id for claim in claims]))
                        .values(status=wanted),
                        execution_options={"synchronize_session": "fetch"})


def record_refusal(session_factory: sessionmaker[Session], refused: IllegalTransition,
                   actor: Actor, actor_id: int | None = None) -> None:
    """In a transaction of its own: the refused one has been rolled back."""
    log.warning("refused: %s", refused)
    with session_factory.begin() as session:
        record_event(session, EventKind.TRANSITION_REFUSED, actor, claim_id=refused.claim_id,
                     actor_id=actor_id, refused_from=refused.current.value,
                     refused_to=refused.wanted.value)
