"""claims.top_up goes: a claim owes its amount less what its payouts sent. A raise after
payment makes the claim approved again (the next run pays the difference as a part of its
own) or a clerk's case, through the one policy for amounts.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    claim_rows = sa.table('claims', sa.column('status', sa.String),
                      sa.column('top_up', claims.db.types.Money()))
    # A top-up still owed: approved again; its amount (already the raised one) less what
    # was paid is what the next run pays.
    op.execute(sa.update(claim_rows).where(claim_rows.c.status == 'paid',
                                          claim_rows.c.top_up.is_not(None))
               .values(status='approved'))
    # In place on SQLite too (3.35 and newer): a batch copy of the claims table would
    # fail on the rows that refer to it.
    op.drop_column('claims', 'top_up')


def downgrade() -> None:
    op.add_column('claims', sa.Column('top_up', claims.db.types.Money(), nullable=True))
