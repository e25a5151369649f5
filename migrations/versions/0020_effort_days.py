"""effort_days, effort_driver_days: the effort records added up per day, so that a report
over a million records reads a few thousand sums. Filled here from the records there are;
claims.reporting.effort_days keeps them from then on.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

SUMS = ("claims", "touchless", "decided", "touchless_paid", "paid", "clerk_seconds", "jobs",
        "typed_fields", "active_seconds", "contacts", "info_requests", "ces_total",
        "ces_answers", "ces_top_box", "clerk_counted")
DRIVER_SUMS = ("claims", "clerk_seconds", "jobs", "paid", "active_seconds")
# As claims.reporting.record_sums.RECORD_SUMS makes them from the records, in that order.
RECORD_SUMS = (
    "count(*)", "sum(CAST(touchless_decision AS INTEGER))",
    "sum(CAST(status IN ('paid', 'needs_review', 'rejected', 'info_requested', 'approved') "
    "AS INTEGER))", "sum(CAST(touchless_payout AS INTEGER))", "sum(CAST(paid AS INTEGER))",
    "sum(clerk_seconds)", "sum(jobs)", "sum(fields_typed)", "sum(active_seconds)",
    "sum(contacts)", "sum(info_requests)", "sum(ces_score)", "count(ces_score)",
    "sum(CAST(ces_score >= 5 AS INTEGER))", "count(clerk_seconds)")


def upgrade() -> None:
    op.create_table(
        'effort_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('touchless_decision', sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.Column('first_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'path', 'status',
                                'touchless_decision', name=op.f('pk_effort_days')),
    )
    op.create_table(
        'effort_driver_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('driver', sa.String(length=60), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in DRIVER_SUMS),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'driver',
                                name=op.f('pk_effort_driver_days')),
    )
    op.create_table(
        'effort_days_due',
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_effort_days_due')),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = ("CAST((submitted_at AT TIME ZONE 'UTC') AS DATE)" if postgresql
           else "date(submitted_at)")
    keys = f"{day}, operator_id, regime, path, status, touchless_decision"
    sums = ", ".join(f"coalesce({expression}, 0)" for expression in RECORD_SUMS)
    op.execute(f"INSERT INTO effort_days (day, operator_id, regime, path, status, "
               f"touchless_decision, {', '.join(SUMS)}, first_at, last_at) "
               f"SELECT {keys}, {sums}, min(submitted_at), max(submitted_at) "
               f"FROM claim_effort GROUP BY {keys}")
    driver_keys = f"{day}, operator_id, regime, driver"
    op.execute(f"INSERT INTO effort_driver_days (day, operator_id, regime, driver, "
               f"{', '.join(DRIVER_SUMS)}) "
               f"SELECT {driver_keys}, count(*), coalesce(sum(clerk_seconds), 0), "
               "coalesce(sum(jobs), 0), coalesce(sum(CAST(paid AS INTEGER)), 0), "
               "coalesce(sum(active_seconds), 0) "
               "FROM effort_drivers JOIN claim_effort USING (claim_id) "
               f"GROUP BY {driver_keys}")


def downgrade() -> None:
    op.drop_table('effort_days_due')
    op.drop_table('effort_driver_days')
    op.drop_table('effort_days')
