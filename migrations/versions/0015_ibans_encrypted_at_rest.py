"""IBANs encrypted at rest (Fernet under IBAN_KEYS): the columns widen to hold the token
and every stored IBAN is encrypted in place

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from claims.db.crypto import Keyring
from claims.db.key_rotation import convert

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = (("bookings", "payment_iban"), ("claims", "payout_iban"), ("payouts", "iban"))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=255),
                               existing_type=sa.String(length=34))
        convert(op.get_bind(), table, column, Keyring.encrypt)


def downgrade() -> None:
    for table, column in COLUMNS:
        convert(op.get_bind(), table, column, Keyring.decrypt)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=34),
                               existing_type=sa.String(length=255))
