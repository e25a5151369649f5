"""effort_time_days: how long claims took, as counts per time bucket, day, operator and
regime, so that a report's medians and 90th percentiles add up buckets instead of sorting
every record's times. Filled here from the effort records; the effort catch-up keeps it
(claims.reporting.effort_times, whose buckets this repeats: one second wide under 100 s,
1 % wide above).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

MEASURES = {"decision": "decision_seconds", "payout": "payout_seconds",
            "queue": "queue_seconds"}


def upgrade() -> None:
    op.create_table(
        'effort_time_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('measure', sa.String(length=10), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('claims', sa.BigInteger(), nullable=False),
        sa.Column('seconds', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'measure', 'bucket',
                                name=op.f('pk_effort_time_days')),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = ("CAST((submitted_at AT TIME ZONE 'UTC') AS DATE)" if postgresql
           else "date(submitted_at)")
    for measure, column in MEASURES.items():
        bucket = (f"CASE WHEN {column} < 100 THEN {column} ELSE 100 + CAST(floor("
                  f"ln(CAST({column} AS FLOAT) / 100) / {math.log(1.01)!r}) AS INTEGER) END")
        op.execute(
            f"INSERT INTO effort_time_days (day, operator_id, regime, measure, bucket, claims, "
            f"seconds) SELECT {day}, operator_id, regime, '{measure}', {bucket}, count(*), "
            f"sum({column}) FROM claim_effort WHERE {column} IS NOT NULL "
            f"GROUP BY {day}, operator_id, regime, {bucket}")


def downgrade() -> None:
    op.drop_table('effort_time_days')
