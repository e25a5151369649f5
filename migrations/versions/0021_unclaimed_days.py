"""unclaimed_days: the eligible journeys nobody claimed, added up per day they were
checked, so that the report does not count them from every journey check. Every day with
a check is noted due here; the next effort catch-up works the sums out
(claims.reporting.unclaimed_days).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unclaimed_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('journeys', sa.Integer(), nullable=False),
        sa.Column('amount', claims.db.types.Money(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'currency',
                                name=op.f('pk_unclaimed_days')),
    )
    op.create_table(
        'unclaimed_days_due',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('noted_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_unclaimed_days_due')),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = ("CAST((checked_at AT TIME ZONE 'UTC') AS DATE)" if postgresql
           else "date(checked_at)")
    # As SQLAlchemy writes an instant on SQLite: with its microseconds.
    now = "now()" if postgresql else "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
    op.execute(f"INSERT INTO unclaimed_days_due (day, noted_at) "
               f"SELECT DISTINCT {day}, {now} FROM journey_checks")


def downgrade() -> None:
    op.drop_table('unclaimed_days_due')
    op.drop_table('unclaimed_days')
