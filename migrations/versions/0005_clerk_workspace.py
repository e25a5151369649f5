"""clerk workspace: claims taken by a clerk, information requests, notes and appeals

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('assigned_to', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('assigned_at', claims.db.types.UtcDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('requested_info', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('clerk_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('appeal_text', sa.Text(), nullable=True))
        batch.create_foreign_key(batch.f('fk_claims_assigned_to_users'), 'users',
                                 ['assigned_to'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(batch.f('fk_claims_assigned_to_users'), type_='foreignkey')
        for column in ('appeal_text', 'clerk_note', 'requested_info', 'assigned_at',
                       'assigned_to'):
            batch.drop_column(column)
