"""Proposals waiting for a second person: amounts above the second-approval limit one
person proposed (claims.clerks.decisions.approve) and another approves. Those who may give
the second approval find them here, not by taking claims from the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.clerks.review import staff_emails
from claims.core.approvals import may_give_second_approval
from claims.core.vocabulary import AWAITING_CLERK, EventKind
from claims.db.models import Claim, ClaimEvent, Operator

SessionFactory = sessionmaker[Session]


@dataclass(frozen=True)
class WaitingProposal:
    claim_id: int
    operator: str
    amount: Decimal
    currency: str | None
    proposed_by: str
    since: datetime | None  # when it was proposed
    reason: str | None
    # False for the proposer: four eyes are two people.
    may_approve: bool


def waiting_for_second_approval(session_factory: SessionFactory,
                                person_id: int) -> list[WaitingProposal]:
    """Open claims with a proposal waiting for a second person, the longest waiting first;
    each says whether this person may give the second approval."""
    proposed_at = (select(ClaimEvent.claim_id, func.max(ClaimEvent.at).label("at"))
                   .where(ClaimEvent.kind == EventKind.AMOUNT_PROPOSED)
                   .group_by(ClaimEvent.claim_id).subquery())
    with session_factory() as session:
        rows = session.execute(
            select(Claim.id, Operator.name, Claim.proposed_amount, Claim.currency,
                   Claim.proposed_by, proposed_at.c.at, Claim.proposed_note)
            .join(Operator, Operator.id == Claim.operator_id)
            .outerjoin(proposed_at, proposed_at.c.claim_id == Claim.id)
            .where(Claim.status.in_(AWAITING_CLERK), Claim.proposed_amount.is_not(None))
            .order_by(proposed_at.c.at, Claim.id)).all()
        proposers = staff_emails(session, {row.proposed_by for row in rows if row.proposed_by})
    return [WaitingProposal(claim_id, operator, amount, currency,
                            proposers.get(proposer, "") if proposer else "", since, reason,
                            may_give_second_approval(proposer, person_id))
            for claim_id, operator, amount, currency, proposer, since, reason in rows]
