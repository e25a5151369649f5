"""Staff sign-in and the review queue as staff see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.db.models import Operator, User
from claims.db.types import utcnow
from claims.operators.accounts import check_password

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    role: str


def authenticate(session_factory: sessionmaker[Session], email: str,
                 password: str) -> StaffAccount | None:
    """The account, or None for a wrong e-mail or password and for a locked account: the
    answer does not tell which. MAX_FAILURES wrong passwords in a row lock it for LOCKOUT."""
    with session_factory.begin() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower(),
                                                 User.active.is_(True)).with_for_update())
        if user is None:
            return None
        now = utcnow()
        if user.locked_until is not None and user.locked_until > now:
            return None
        if not check_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins, user.locked_until = 0, now + LOCKOUT
            return None
        user.failed_logins, user.locked_until = 0, None
        return StaffAccount(user.id, user.email, user.role)


def active_account(session_factory: sessionmaker[Session], user_id: int) -> StaffAccount | None:
    with session_factory() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return StaffAccount(user.id, user.email, user.role)


def operator_choices(session_factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [(slug, name) for slug, name in session.execute(
            select(Operator.slug, Operator.name).order_by(Operator.name))]
