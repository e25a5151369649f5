"""proactive compensation: the operator's mode, where a claim came from, top-ups after
payment (a payout per part), and one check per journey the operations data touched

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('operators') as batch:
        batch.add_column(sa.Column('proactive_mode', sa.String(length=5), nullable=False,
                                   server_default='off'))
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(sa.Column('passenger_language', sa.String(length=5), nullable=True))
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('origin', sa.String(length=10), nullable=False,
                                   server_default='passenger'))
        batch.add_column(sa.Column('top_up', claims.db.types.Money(), nullable=True))
    with op.batch_alter_table('payouts') as batch:
        batch.add_column(sa.Column('part', sa.Integer(), nullable=False, server_default='0'))
        batch.drop_constraint('uq_payouts_claim_id', type_='unique')
        batch.create_unique_constraint(op.f('uq_payouts_claim_id_part'), ['claim_id', 'part'])
    with op.batch_alter_table('operations_records') as batch:
        # Records already here were never checked and must not start offers for old
        # journeys: only records imported from now on wait for the check.
        batch.add_column(sa.Column('proactive_checked', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    op.create_table(
        'journey_checks',
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('eligible', sa.Boolean(), nullable=False),
        sa.Column('amount', claims.db.types.Money(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('arrived_at', claims.db.types.LocalDateTime(), nullable=False),
        sa.Column('checked_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=True),
        sa.Column('mailed_at', claims.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'],
                                name=op.f('fk_journey_checks_booking_id_bookings')),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_journey_checks_claim_id_claims')),
        sa.PrimaryKeyConstraint('booking_id', 'direction', name=op.f('pk_journey_checks')),
    )
    op.create_index(op.f('ix_journey_checks_operator_id'), 'journey_checks', ['operator_id'])
    op.create_index(op.f('ix_journey_checks_checked_at'), 'journey_checks', ['checked_at'])
    # The bookings an operations record touches: by service, stop and departure date.
    op.create_index('ix_booking_legs_service_destination_departure', 'booking_legs',
                    ['service', 'destination', 'scheduled_departure'])


def downgrade() -> None:
    op.drop_index('ix_booking_legs_service_destination_departure', table_name='booking_legs')
    op.drop_index(op.f('ix_journey_checks_checked_at'), table_name='journey_checks')
    op.drop_index(op.f('ix_journey_checks_operator_id'), table_name='journey_checks')
    op.drop_table('journey_checks')
    with op.batch_alter_table('operations_records') as batch:
        batch.drop_column('proactive_checked')
    with op.batch_alter_table('payouts') as batch:
        batch.drop_constraint('uq_payouts_claim_id_part', type_='unique')
        batch.create_unique_constraint('uq_payouts_claim_id', ['claim_id'])
        batch.drop_column('part')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('top_up')
        batch.drop_column('origin')
    with op.batch_alter_table('bookings') as batch:
        batch.drop_column('passenger_language')
    with op.batch_alter_table('operators') as batch:
        batch.drop_column('proactive_mode')
