"""an amount above the second-approval limit proposed by one clerk, awaiting another

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('proposed_amount', claims.db.types.Money(precision=12, scale=2),
                                   nullable=True))
        batch.add_column(sa.Column('proposed_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('proposed_note', sa.Text(), nullable=True))
        batch.create_foreign_key(op.f('fk_claims_proposed_by_users'), 'users',
                                 ['proposed_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(op.f('fk_claims_proposed_by_users'), type_='foreignkey')
        batch.drop_column('proposed_note')
        batch.drop_column('proposed_by')
        batch.drop_column('proposed_amount')
