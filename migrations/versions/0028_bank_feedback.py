"""Bank feedback: what the bank's status reports (pain.002) and notifications (camt.054)
said about each transfer.

- payouts.confirmed_at: the bank accepted the transfer.
- payouts.returned_at, payouts.return_code: the bank returned or refused it, and its ISO
  reason code (shown in words); such a payout no longer counts as paid.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('payouts', sa.Column('confirmed_at', claims.db.types.UtcDateTime(),
                                       nullable=True))
    op.add_column('payouts', sa.Column('returned_at', claims.db.types.UtcDateTime(),
                                       nullable=True))
    op.add_column('payouts', sa.Column('return_code', sa.String(length=4), nullable=True))


def downgrade() -> None:
    op.drop_column('payouts', 'return_code')
    op.drop_column('payouts', 'returned_at')
    op.drop_column('payouts', 'confirmed_at')
