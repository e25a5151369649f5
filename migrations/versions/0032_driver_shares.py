"""effort_driver_days: kept per number of drivers of the claims too, so that a report can
share each claim's extra cost among its drivers (a claim with a reason and a typed field
counted its whole cost twice: the drivers added up to more than the total cost; issue 44).
The statement typed is no driver of its own where the reason passenger-statement is there
(claims.core.effort.FIELD_OF_REASON): those rows go. Filled again here from the records.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

DRIVER_SUMS = ("claims", "clerk_seconds", "jobs", "paid", "active_seconds")


def _create(*, shared: bool) -> None:
    op.create_table(
        'effort_driver_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('driver', sa.String(length=60), nullable=False),
        *([sa.Column('drivers', sa.Integer(), nullable=False)] if shared else []),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in DRIVER_SUMS),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'driver',
                                *(['drivers'] if shared else []),
                                name=op.f('pk_effort_driver_days')),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = ("CAST((submitted_at AT TIME ZONE 'UTC') AS DATE)" if postgresql
           else "date(submitted_at)")
    keys = f"{day}, operator_id, regime, driver" + (", counted.drivers" if shared else "")
    counted = ("JOIN (SELECT claim_id, count(*) AS drivers FROM effort_drivers "
               "GROUP BY claim_id) AS counted USING (claim_id) " if shared else "")
    op.execute(f"INSERT INTO effort_driver_days (day, operator_id, regime, driver, "
               f"{'drivers, ' if shared else ''}{', '.join(DRIVER_SUMS)}) "
               f"SELECT {keys}, count(*), coalesce(sum(clerk_seconds), 0), "
               "coalesce(sum(jobs), 0), coalesce(sum(CAST(paid AS INTEGER)), 0), "
               "coalesce(sum(active_seconds), 0) "
               f"FROM effort_drivers JOIN claim_effort USING (claim_id) {counted}"
               f"GROUP BY {keys}")


def upgrade() -> None:
    op.execute("DELETE FROM effort_drivers WHERE driver = 'field:statement' AND claim_id IN "
               "(SELECT claim_id FROM effort_drivers "
               "WHERE driver = 'reason:passenger-statement')")
    op.drop_table('effort_driver_days')
    _create(shared=True)


def downgrade() -> None:
    op.drop_table('effort_driver_days')
    _create(shared=False)
