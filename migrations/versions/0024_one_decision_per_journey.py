"""Money: one decision per journey and one policy for every amount.

- operators.second_approval_above: above it a clerk's approval waits for a second person
  (was the SECOND_APPROVAL_ABOVE setting; now the operator's policy beside its
  auto-approve limit, so that every path reads both from one place).
- claims.twin_claim_id: the earlier claim for the same journey (a claim without a booking
  and one on the booking, an offer and a filed claim), shown to the clerk.
- booking_legs.service_date: the train's service day, which operations records are keyed
  by (a train that left before midnight and was boarded after it); filled from the
  departure's local date. The legs an operations record touches are found by it: the index
  on (service, destination, service_date) replaces the one on the departure.
- operations_records.scheduled_arrival: the operator's own scheduled arrival, a cross-check
  that the record is the leg's train.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('operators', sa.Column('second_approval_above', claims.db.types.Money(),
                                         nullable=False, server_default='600.00'))
    # No foreign key: SQLite could not drop the column again in place.
    op.add_column('claims', sa.Column('twin_claim_id', sa.Integer(), nullable=True))
    op.add_column('booking_legs', sa.Column('service_date', sa.Date(), nullable=True))
    legs = sa.table('booking_legs', sa.column('service_date', sa.Date),
                    sa.column('scheduled_departure', sa.String))
    # The departure is ISO text with its local offset: its local date is the prefix.
    first_ten = sa.func.substr(legs.c.scheduled_departure, 1, 10)
    op.execute(sa.update(legs).values(
        service_date=sa.cast(first_ten, sa.Date) if op.get_bind().dialect.name != 'sqlite'
        else first_ten))
    # The bookings an operations record touches are found by its key, the service day:
    # the index by the departure served only that, and goes.
    op.drop_index('ix_booking_legs_service_destination_departure', table_name='booking_legs')
    op.create_index('ix_booking_legs_service_destination_service_date', 'booking_legs',
                    ['service', 'destination', 'service_date'], unique=False)
    op.add_column('operations_records', sa.Column('scheduled_arrival', claims.db.types.LocalDateTime(),
                                                  nullable=True))


def downgrade() -> None:
    op.drop_column('operations_records', 'scheduled_arrival')
    op.drop_index('ix_booking_legs_service_destination_service_date', table_name='booking_legs')
    op.create_index('ix_booking_legs_service_destination_departure', 'booking_legs',
                    ['service', 'destination', 'scheduled_departure'], unique=False)
    op.drop_column('booking_legs', 'service_date')
    op.drop_column('claims', 'twin_claim_id')
    op.drop_column('operators', 'second_approval_above')
