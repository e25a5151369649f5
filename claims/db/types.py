"""Column types that keep money exact and instants unambiguous on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator, TypeEngine

from claims.db.crypto import keyring_of
from claims.db.dialect import as_number, instants_kept_naive, numbers_kept_as_text

# Compared as numbers: "3" = "3.00" and 650.00 < 1000 on SQLite too.
COMPARISONS = (operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
               operators.between_op)


class Money(TypeDecorator[Decimal]):
    """Decimal amounts: NUMERIC(12, 2) on PostgreSQL, text on SQLite (which has no decimal)."""

    impl = Numeric(12, 2)
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[Decimal]):
        """Amounts are compared as numbers in SQL on every dialect (SQLite's text would
        put 650.00 above 1000)."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op in COMPARISONS:
                return op(as_number(self.expr), *map(_as_number_if_money, other), **kwargs)
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            if op in COMPARISONS:
                return op(_as_number_if_money(other), as_number(self.expr), **kwargs)
            return super().reverse_operate(op, other, **kwargs)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if numbers_kept_as_text(dialect):
            return dialect.type_descriptor(String(20))
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
        return str(value) if numbers_kept_as_text(dialect) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def _as_number_if_money(value: Any) -> Any:
    """Another Money column is compared as a number too; a value is bound as one."""
    return as_number(value) if isinstance(getattr(value, "type", None), Money) else value


class EncryptedIban(TypeDecorator[str]):
    """An IBAN, encrypted at rest under the engine's key ring (claims.db.crypto): a copy
    of the database or a backup shows no account. Compared in Python, never in SQL."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else keyring_of(dialect).encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).decrypt(value)


class UtcDateTime(TypeDecorator[datetime]):
    """System instants, stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if instants_kept_naive(dialect) else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value  # PostgreSQL's, in a UTC session: a million per effort build
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LocalDateTime(TypeDecorator[datetime]):
    """Timetable instants as the operator gave them: ISO 8601 with the local UTC offset.

    The offset is part of the data (a passenger reads 10:13 in Frankfurt, not 09:13 UTC);
    comparisons are made on the aware datetime, never on the text."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timetable instants carry their UTC offset")
        return value.isoformat()

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
