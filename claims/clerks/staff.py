"""Staff sign-in and the review queue as staff see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.passwords import (
    check_password,
    hash_password,
    needs_rehash,
    spend_the_same_time,
)
from claims.db.models import Operator, SignInFailure, User
from claims.db.types import utcnow

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    role: str
    # The session version the account is at: a session of another version has ended.
    session_version: int = 0


def authenticate(session_factory: sessionmaker[Session], email: str, password: str,
                 address: str = "unknown") -> StaffAccount | None:
    """The account, or None for a wrong e-mail or password and for a locked account: the
    answer does not tell which, nor does its time (a password is checked in every case).
    MAX_FAILURES wrong passwords in a row from one address lock the account for LOCKOUT,
    for that address only."""
    with session_factory.begin() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower(),
                                                 User.active.is_(True)).with_for_update())
        if user is None:
            spend_the_same_time(password)
            return None
        now = utcnow()
        failure = session.get(SignInFailure, (user.id, address[:45]), with_for_update=True)
        if failure is not None and failure.locked_until is not None \
                and failure.locked_until > now:
            spend_the_same_time(password)
            return None
        if not check_password(user.password_hash, password):
            if failure is None:
                failure = SignInFailure(user_id=user.id, address=address[:45], failures=0)
                session.add(failure)
            failure.failures += 1
            if failure.failures >= MAX_FAILURES:
                failure.failures, failure.locked_until = 0, now + LOCKOUT
            return None
        if failure is not None:
            session.delete(failure)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return StaffAccount(user.id, user.email, user.role, user.session_version)


def end_sessions(session_factory: sessionmaker[Session], user_id: int) -> None:
    """Logout: every session of this account, copies included, ends."""
    with session_factory.begin() as session:
        user = session.get(User, user_id, with_for_update=True)
        if user is not None:
            user.session_version += 1


def active_account(session_factory: sessionmaker[Session], user_id: int) -> StaffAccount | None:
    with session_factory() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return StaffAccount(user.id, user.email, user.role, user.session_version)


def operator_choices(session_factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [(slug, name) for slug, name in session.execute(
            select(Operator.slug, Operator.name).order_by(Operator.name))]
