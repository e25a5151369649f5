"""Page views write at most one event a minute.

- claim_events.view_key: a page view's event (a form shown, a status page, a clerk
  opening a file) keyed by its kind, whose it is and its minute, unique: GETs repeated
  any number of times write one row a minute (claims.db.events.note_page_view). NULL for
  every other event, and for the events there before.

Added without rebuilding the table (SQLite's ALTER TABLE ADD COLUMN): the event log's
append-only triggers stay.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('claim_events', sa.Column('view_key', sa.String(length=80), nullable=True))
    op.create_index(op.f('ix_claim_events_view_key'), 'claim_events', ['view_key'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_claim_events_view_key'), table_name='claim_events')
    op.drop_column('claim_events', 'view_key')
