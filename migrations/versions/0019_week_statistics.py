"""claim_effort: statistics on the week a claim was filed in, so that PostgreSQL's planner
knows a report's weekly trend has a few dozen groups, not a million: it then aggregates in
a hash on parallel workers (0.24 s over a million records) instead of sorting the million
rows on disk (0.96 s). SQLite has no such statistics and needs none.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# The expression claims.db.dialect.week_start groups by on PostgreSQL, exactly.
WEEK = "date_trunc('week', submitted_at AT TIME ZONE 'UTC')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS IF NOT EXISTS claim_effort_week ON ({WEEK}) "
                   "FROM claim_effort")
        op.execute("ANALYZE claim_effort")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS claim_effort_week")
