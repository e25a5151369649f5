"""Re-encrypting the IBANs at rest under the ring's first key, after a new key was put
first in IBAN_KEYS; afterwards the old key can be dropped."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from claims.db.crypto import Keyring, keyring_of

# Every column of type EncryptedIban (IBANs and UK account numbers), as (table, column).
ENCRYPTED_COLUMNS = (("bookings", "payment_iban"), ("claims", "payout_iban"),
                     ("claims", "payout_account_number"), ("payouts", "iban"),
                     ("payouts", "account_number"))
_BATCH = 1000


def convert(connection: Connection, table: str, column: str,
            change: Callable[[Keyring, str], str]) -> int:
    """Apply `change` to every stored value of the column, as stored (the raw text, not
    through the column type). Returns how many values were changed."""
    rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} "
                                      f"WHERE {column} IS NOT NULL ORDER BY id")).all()
    if not rows:
        return 0
    ring = keyring_of(connection.dialect)
    statement = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    for start in range(0, len(rows), _BATCH):
        connection.execute(statement, [{"id": row_id, "value": change(ring, value)}
                                       for row_id, value in rows[start:start + _BATCH]])
    return len(rows)


def rotate_all(engine: Engine) -> int:
    """One transaction: a failure (a value under a key not in the ring) changes nothing."""
    with engine.begin() as connection:
        return sum(convert(connection, table, column, Keyring.rotate)
                   for table, column in ENCRYPTED_COLUMNS)
