"""one claim per direction of a booking: a return ticket is two journeys

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('direction', sa.String(length=8),
                                   server_default='outbound', nullable=False))
        batch.drop_constraint(op.f('uq_claims_booking_id'), type_='unique')
        batch.create_unique_constraint(op.f('uq_claims_booking_id_direction'),
                                       ['booking_id', 'direction'])
    # A claim filed before on a round trip was decided by its last leg: the way back.
    op.execute(
        "UPDATE claims SET direction = 'return' WHERE booking_id IN ("
        " SELECT b.id FROM bookings b"
        " JOIN booking_legs first ON first.booking_id = b.id AND first.position = 0"
        " JOIN booking_legs last ON last.booking_id = b.id AND last.position = ("
        "  SELECT max(position) FROM booking_legs WHERE booking_id = b.id)"
        " WHERE b.fare_kind = 'return' AND last.position > 0"
        " AND last.destination = first.origin)")


def downgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(op.f('uq_claims_booking_id_direction'), type_='unique')
        batch.create_unique_constraint(op.f('uq_claims_booking_id'), ['booking_id'])
        batch.drop_column('direction')
