"""effort records derived from the event log, their drivers, and the reader's progress

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INTEGERS = ("fields_shown", "fields_prefilled", "fields_typed", "fields_changed",
            "active_seconds", "validation_errors", "submit_attempts", "uploads",
            "info_requests", "contacts", "appeals", "clerk_seconds", "touches", "clerks",
            "handovers", "jobs")


def upgrade() -> None:
    op.create_table(
        'claim_effort',
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('submitted_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('decision_seconds', sa.Integer(), nullable=True),
        sa.Column('payout_seconds', sa.Integer(), nullable=True),
        sa.Column('touchless_decision', sa.Boolean(), nullable=False),
        sa.Column('touchless_payout', sa.Boolean(), nullable=False),
        sa.Column('paid', sa.Boolean(), nullable=False),
        sa.Column('amount', claims.db.types.Money(precision=12, scale=2), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in INTEGERS[:4]],
        sa.Column('keystrokes', sa.Integer(), nullable=True),
        sa.Column('clicks', sa.Integer(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in INTEGERS[4:]],
        sa.Column('ces_score', sa.Integer(), nullable=True),
        sa.Column('reason_codes', sa.String(length=200), nullable=True),
        sa.Column('last_event_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_claim_effort_claim_id_claims')),
        sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_claim_effort')),
    )
    op.create_index(op.f('ix_claim_effort_operator_id'), 'claim_effort', ['operator_id'])
    op.create_index('ix_claim_effort_submitted_at', 'claim_effort', ['submitted_at'])
    op.create_table(
        'effort_drivers',
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('driver', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claim_effort.claim_id'],
                                name=op.f('fk_effort_drivers_claim_id_claim_effort')),
        sa.PrimaryKeyConstraint('claim_id', 'driver', name=op.f('pk_effort_drivers')),
    )
    op.create_index(op.f('ix_effort_drivers_driver'), 'effort_drivers', ['driver'])
    op.create_table(
        'effort_progress',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_effort_progress')),
    )


def downgrade() -> None:
    op.drop_table('effort_progress')
    op.drop_index(op.f('ix_effort_drivers_driver'), table_name='effort_drivers')
    op.drop_table('effort_drivers')
    op.drop_index('ix_claim_effort_submitted_at', table_name='claim_effort')
    op.drop_index(op.f('ix_claim_effort_operator_id'), table_name='claim_effort')
    op.drop_table('claim_effort')
