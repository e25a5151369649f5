"""Until when a decision may be objected to, and when it is final: the one rule for the
status page, the letter, the e-mail and the objection itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from claims.core.vocabulary import ClaimStatus, Origin
from claims.db.models import Claim
from claims.db.types import utcnow

# An objection is open for a month after the decision (the letter names the date); after
# that, or once objected to and decided again, the decision is final and the passenger is
# pointed to the bodies outside (claims.passengers.escalation).
OBJECTION_WITHIN = timedelta(days=30)


def _objectable(claim: Claim) -> bool:
    if claim.appeal_text is not None:
        return False
    return claim.status == ClaimStatus.REJECTED or (
        claim.status == ClaimStatus.APPROVED and claim.origin == Origin.PROACTIVE)


def objection_deadline(claim: Claim) -> datetime | None:
    """Until when the passenger may object, or None where there is nothing to object to
    (or no decision date: a payment made without a claim stays open while unpaid)."""
    if not _objectable(claim) or claim.decided_at is None:
        return None
    return claim.decided_at + OBJECTION_WITHIN


def can_object(claim: Claim, now: datetime | None = None) -> bool:
    if not _objectable(claim):
        return False
    deadline = objection_deadline(claim)
    return deadline is None or (now or utcnow()) < deadline


def finally_rejected(claim: Claim, now: datetime | None = None) -> bool:
    """Rejected with no objection left: objected to and rejected again, or its window
    passed."""
    return claim.status == ClaimStatus.REJECTED and not can_object(claim, now)
