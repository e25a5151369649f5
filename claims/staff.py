"""Staff sign-in and the review queue as staff see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.accounts import check_password
from claims.models import Claim, ClaimStatus, Operator, User


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    role: str


@dataclass(frozen=True)
class QueueEntry:
    claim_id: int
    operator: str
    submitted_at: datetime
    reason_codes: tuple[str, ...]


def authenticate(session_factory: sessionmaker[Session], email: str,
                 password: str) -> StaffAccount | None:
    with session_factory() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower(),
                                                 User.active.is_(True)))
        if user is None or not check_password(user.password_hash, password):
            return None
        return StaffAccount(user.id, user.email, user.role)


def active_account(session_factory: sessionmaker[Session], user_id: int) -> StaffAccount | None:
    with session_factory() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return StaffAccount(user.id, user.email, user.role)


def review_queue(session_factory: sessionmaker[Session], limit: int = 100) -> list[QueueEntry]:
    with session_factory() as session:
        rows = session.execute(
            select(Claim.id, Operator.name, Claim.submitted_at, Claim.reason_codes)
            .join(Operator, Operator.id == Claim.operator_id)
            .where(Claim.status == ClaimStatus.NEEDS_REVIEW)
            .order_by(Claim.submitted_at, Claim.id).limit(limit)).all()
    return [QueueEntry(i, name, at, tuple((codes or "").split())) for i, name, at, codes in rows]


def status_counts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as session:
        rows = session.execute(select(Claim.status, func.count()).group_by(Claim.status))
        return {status: count for status, count in rows}


def straight_through(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    """(claims decided by the rules alone, claims past the automatic assessment)."""
    open_statuses = [ClaimStatus.SUBMITTED, ClaimStatus.ASSESSING, ClaimStatus.WITHDRAWN]
    with session_factory() as session:
        decided = session.scalar(select(func.count()).select_from(Claim)
                                 .where(Claim.status.not_in(open_statuses))) or 0
        touchless = session.scalar(select(func.count()).select_from(Claim).where(
            Claim.status.not_in(open_statuses), Claim.reason_codes.is_(None))) or 0
    return touchless, decided
