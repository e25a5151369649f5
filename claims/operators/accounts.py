"""Operators (with their API keys) and staff users."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from claims.core import plain_text
from claims.core.amounts import LARGEST, AmountError, parse_amount
from claims.core.iban import IbanError, check_iban
from claims.core.passwords import hash_password
from claims.core.payout_schedule import ScheduleError, next_run_after, parse_schedule
from claims.core.vocabulary import REGIMES, ProactiveMode, Role
from claims.db.models import Operator, User
from claims.db.types import utcnow

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


class AccountError(ValueError):
    pass


def hash_api_key(key: str) -> str:
    # Keys are 256 random bits, so a plain SHA-256 is enough to make a leaked table useless.
    return hashlib.sha256(key.encode()).hexdigest()


def create_operator(session_factory: sessionmaker[Session], slug: str, name: str,
                    regime: str) -> str:
    """Create the operator and return its API key, which is stored only as a hash."""
    if not _SLUG.match(slug):
        raise AccountError("slug: 3 to 40 lower-case letters, digits and hyphens")
    if regime not in REGIMES:
        raise AccountError(f"regime: one of {', '.join(REGIMES)}")
    if not name.strip():
        raise AccountError("name: required")
    if plain_text.line_problem(name) or len(name.strip()) > 120:
        # Printed in every e-mail's greeting and signature: one line.
        raise AccountError("name: one line of at most 120 characters")
    key = "eff_" + secrets.token_urlsafe(32)
    try:
        with session_factory.begin() as session:
            session.add(Operator(slug=slug, name=name.strip(), regime=regime,
                                 api_key_hash=hash_api_key(key)))
    except IntegrityError:
        raise AccountError(f"slug: an operator {slug!r} exists already") from None
    return key


def operator_for_api_key(session_factory: sessionmaker[Session], key: str) -> str | None:
    with session_factory() as session:
        return session.scalar(select(Operator.slug)
                              .where(Operator.api_key_hash == hash_api_key(key)))


def create_user(session_factory: sessionmaker[Session], email: str, role: str,
                password: str) -> int:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError("email: not an e-mail address")
    if role not in {r.value for r in Role}:
        raise AccountError(f"role: one of {', '.join(r.value for r in Role)}")
    if len(password) < 10:
        raise AccountError("password: at least 10 characters")
    try:
        with session_factory.begin() as session:
            user = User(email=email, role=role, password_hash=hash_password(password))
            session.add(user)
            session.flush()
            return user.id
    except IntegrityError:
        raise AccountError(f"email: a user {email} exists already") from None


@dataclass(frozen=True)
class OperatorConfiguration:
    slug: str
    name: str
    regime: str
    minimum_payout: Decimal
    uk_scheme: str
    season_flat_amount: Decimal
    season_cap_percent: int
    auto_approve_limit: Decimal
    second_approval_above: Decimal
    payout_account_name: str | None
    payout_account_iban: str | None
    proactive_mode: str
    payout_schedule: str
    payout_next_run_at: datetime | None
    sepa_instant: bool


def _decimal(field: str, value: str | Decimal, *, high: Decimal | None = None) -> Decimal:
    try:
        return parse_amount(value, largest=LARGEST if high is None else high)
    except AmountError as error:
        raise AccountError(f"{field}: {error}") from None


def configure_operator(session_factory: sessionmaker[Session], slug: str, *,
                       minimum_payout: str | None = None, uk_scheme: str | None = None,
                       season_flat_amount: str | None = None,
                       season_cap_percent: int | None = None,
                       auto_approve_limit: str | None = None,
                       second_approval_above: str | None = None,
                       payout_account_name: str | None = None,
                       payout_account_iban: str | None = None,
                       proactive_mode: str | None = None,
                       payout_schedule: str | None = None, sepa_instant: bool | None = None,
                       timezone: str = "Europe/Berlin",
                       now: datetime | None = None) -> OperatorConfiguration:
    """Change what is given, keep the rest; return the whole configuration. A payout
    schedule's daily cut-off is in `timezone` (the TIMEZONE setting)."""
    with session_factory.begin() as session:
        operator = session.scalar(select(Operator).where(Operator.slug == slug))
        if operator is None:
            raise AccountError(f"slug: no operator {slug!r}")
        if minimum_payout is not None:
            # Art. 19(8): an operator may refuse amounts under a threshold of at most 4 EUR.
            operator.minimum_payout = _decimal("minimum-payout", minimum_payout,
                                               high=Decimal("4.00"))
        if uk_scheme is not None:
            if uk_scheme not in ("DR15", "DR30"):
                raise AccountError("scheme: DR15 or DR30")
            operator.uk_scheme = uk_scheme
        if season_flat_amount is not None:
            operator.season_flat_amount = _decimal("season-flat-amount", season_flat_amount)
        if season_cap_percent is not None:
            if not 0 <= season_cap_percent <= 100:
                raise AccountError("season-cap-percent: 0 to 100")
            operator.season_cap_percent = season_cap_percent
        if auto_approve_limit is not None:
            operator.auto_approve_limit = _decimal("auto-approve-limit", auto_approve_limit)
        if second_approval_above is not None:
            operator.second_approval_above = _decimal("second-approval-above",
                                                      second_approval_above)
        if payout_account_name is not None:
            if not payout_account_name.strip() or len(payout_account_name) > 70 or \
                    plain_text.line_problem(payout_account_name):
                raise AccountError("payout-account-name: 1 to 70 characters, one line")
            operator.payout_account_name = payout_account_name.strip()
        if payout_account_iban is not None:
            try:
                iban = check_iban(payout_account_iban)
            except IbanError as error:
                raise AccountError(f"payout-account-iban: {error}") from None
            operator.payout_account_iban = iban.compact
            operator.payout_account_bic = iban.bic
        if proactive_mode is not None:
            if proactive_mode not in {mode.value for mode in ProactiveMode}:
                raise AccountError("proactive: off, offer or pay")
            operator.proactive_mode = proactive_mode
        if payout_schedule is not None:
            try:
                schedule = parse_schedule(payout_schedule)
            except ScheduleError as error:
                raise AccountError(str(error)) from None
            # The first scheduled run at the next due instant, not at once.
            operator.payout_schedule = str(schedule)
            operator.payout_next_run_at = next_run_after(schedule, now or utcnow(),
                                                         ZoneInfo(timezone))
        if sepa_instant is not None:
            operator.sepa_instant = sepa_instant
        return operator_configuration(operator)


def operator_configuration(operator: Operator) -> OperatorConfiguration:
    return OperatorConfiguration(
        slug=operator.slug, name=operator.name, regime=operator.regime,
        minimum_payout=operator.minimum_payout, uk_scheme=operator.uk_scheme,
        season_flat_amount=operator.season_flat_amount,
        season_cap_percent=operator.season_cap_percent,
        auto_approve_limit=operator.auto_approve_limit,
        second_approval_above=operator.second_approval_above,
        payout_account_name=operator.payout_account_name,
        payout_account_iban=operator.payout_account_iban,
        proactive_mode=operator.proactive_mode, payout_schedule=operator.payout_schedule,
        payout_next_run_at=operator.payout_next_run_at, sepa_instant=operator.sepa_instant)
