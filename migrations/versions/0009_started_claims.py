"""claim forms opened per booking, and whether a claim followed: abandonment

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'started_claims',
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('started_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('filed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'],
                                name=op.f('fk_started_claims_booking_id_bookings')),
        sa.PrimaryKeyConstraint('booking_id', name=op.f('pk_started_claims')),
    )
    op.create_index(op.f('ix_started_claims_operator_id'), 'started_claims', ['operator_id'])
    op.create_index(op.f('ix_started_claims_started_at'), 'started_claims', ['started_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_started_claims_started_at'), table_name='started_claims')
    op.drop_index(op.f('ix_started_claims_operator_id'), table_name='started_claims')
    op.drop_table('started_claims')
