"""Payout rails: scheduled runs, SEPA Instant, UK accounts, time to money.

- operators.payout_schedule (manual, daily@HH[:MM], every:N), payout_next_run_at (the
  instant the next scheduled run is due; a worker takes it by moving it on),
  payout_last_run_at, sepa_instant.
- claims.payout_sort_code / payout_account_number, payouts.sort_code / account_number: a
  UK account given by sort code and account number (the number encrypted, as IBANs are).
- payout_runs.file_written_at: when the run's file was written (NULL for runs before this
  migration: their time was not kept).
- money_time_days: the report's time to money, as counts per time bucket, kept when a
  file is written; journey_checks.claim_id indexed, which that reads.

Revision ID: 0027
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('operators', sa.Column('payout_schedule', sa.String(length=20), nullable=False,
                                         server_default='manual'))
    op.add_column('operators', sa.Column('payout_next_run_at', claims.db.types.UtcDateTime(),
                                         nullable=True))
    op.add_column('operators', sa.Column('payout_last_run_at', claims.db.types.UtcDateTime(),
                                         nullable=True))
    op.add_column('operators', sa.Column('sepa_instant', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column('claims', sa.Column('payout_sort_code', sa.String(length=6), nullable=True))
    op.add_column('claims', sa.Column('payout_account_number', claims.db.types.EncryptedIban(),
                                      nullable=True))
    op.add_column('payouts', sa.Column('sort_code', sa.String(length=6), nullable=True))
    op.add_column('payouts', sa.Column('account_number', claims.db.types.EncryptedIban(),
                                       nullable=True))
    op.add_column('payout_runs', sa.Column('file_written_at', claims.db.types.UtcDateTime(),
                                           nullable=True))
    op.create_table(
        'money_time_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=12), nullable=False),
        sa.Column('measure', sa.String(length=10), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('payouts', sa.BigInteger(), nullable=False),
        sa.Column('seconds', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'operator_id', 'regime', 'path', 'measure', 'bucket',
                                name=op.f('pk_money_time_days')),
    )
    op.create_index(op.f('ix_journey_checks_claim_id'), 'journey_checks', ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_journey_checks_claim_id'), table_name='journey_checks')
    op.drop_table('money_time_days')
    op.drop_column('payout_runs', 'file_written_at')
    op.drop_column('payouts', 'account_number')
    op.drop_column('payouts', 'sort_code')
    op.drop_column('claims', 'payout_account_number')
    op.drop_column('claims', 'payout_sort_code')
    op.drop_column('operators', 'sepa_instant')
    op.drop_column('operators', 'payout_last_run_at')
    op.drop_column('operators', 'payout_next_run_at')
    op.drop_column('operators', 'payout_schedule')
