"""effort records: time waiting for a clerk, and the passenger's steps

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claim_effort') as batch:
        batch.add_column(sa.Column('queue_seconds', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('steps', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claim_effort') as batch:
        batch.drop_column('steps')
        batch.drop_column('queue_seconds')
