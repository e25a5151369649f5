"""bookings: an access version, raised when a clerk ends a passenger's links, so that an
invitation or a session cookie from before stops working too (issue 43)

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('bookings', sa.Column('access_version', sa.Integer(), server_default='0',
                                        nullable=False))


def downgrade() -> None:
    # In place on SQLite too (3.35 and newer): a batch copy of the table would drop the
    # bookings that claims point at (see 0023).
    op.drop_column('bookings', 'access_version')
