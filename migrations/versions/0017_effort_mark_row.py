"""effort_progress: its one row exists from the start, so the first two rebuilds racing to
create it cannot both insert it

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO effort_progress (id, event_id) SELECT 1, 0 WHERE NOT EXISTS "
               "(SELECT 1 FROM effort_progress WHERE id = 1)")


def downgrade() -> None:
    # The row is data the records depend on; leaving it is harmless.
    pass
