"""Time to money to the bank's confirmation, and per month.

- money_time_months: money_time_days added up per month, kept with them, so that a year's
  report reads whole months and only the edge days.
- payouts.money_time_from, money_time_path: where a counted transfer's time to money
  starts and the path it went under, for its confirmation and a return to find its
  buckets.
- The buckets rebuilt from the payouts under the rules claims.processing.money_times now
  keeps: the claim's payment counted (one the bank returned taken out, the payment made
  again in its place counted from the original start), "confirmed" for the transfers the
  bank confirmed. Runs before migration 0027 kept no file time and stay out of it.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

CHUNK = 5000
UTC_TIME = claims.db.types.UtcDateTime()

payouts = sa.table('payouts', sa.column('id', sa.Integer), sa.column('claim_id', sa.Integer),
                   sa.column('part', sa.Integer), sa.column('run_id', sa.Integer),
                   sa.column('method', sa.String), sa.column('confirmed_at', UTC_TIME),
                   sa.column('returned_at', UTC_TIME), sa.column('money_time_from', UTC_TIME),
                   sa.column('money_time_path', sa.String))
runs = sa.table('payout_runs', sa.column('id', sa.Integer),
                sa.column('file_written_at', UTC_TIME))
claims_table = sa.table(
    'claims', sa.column('id', sa.Integer), sa.column('booking_id', sa.Integer),
    sa.column('direction', sa.String), sa.column('operator_id', sa.Integer),
    sa.column('regime', sa.String), sa.column('origin', sa.String),
    sa.column('reason_codes', sa.JSON), sa.column('delay_minutes', sa.Integer),
    sa.column('submitted_at', UTC_TIME))
bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('fare_kind', sa.String))
legs = sa.table('booking_legs', sa.column('booking_id', sa.Integer),
                sa.column('position', sa.Integer), sa.column('origin', sa.String),
                sa.column('destination', sa.String),
                sa.column('scheduled_departure', UTC_TIME),
                sa.column('scheduled_arrival', UTC_TIME))
checks = sa.table('journey_checks', sa.column('claim_id', sa.Integer),
                  sa.column('arrived_at', UTC_TIME))
BUCKET_COLUMNS = ('operator_id', 'regime', 'path', 'measure', 'bucket', 'payouts', 'seconds')


def _bucket_table(name: str, period: str) -> sa.TableClause:
    return sa.table(name, sa.column(period, sa.Date),
                    *(sa.column(column) for column in BUCKET_COLUMNS))


def upgrade() -> None:
    op.create_table(
        'money_time_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=12), nullable=False),
        sa.Column('measure', sa.String(length=10), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('payouts', sa.BigInteger(), nullable=False),
        sa.Column('seconds', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'operator_id', 'regime', 'path', 'measure', 'bucket',
                                name=op.f('pk_money_time_months')),
    )
    op.add_column('payouts', sa.Column('money_time_from', claims.db.types.UtcDateTime(),
                                       nullable=True))
    op.add_column('payouts', sa.Column('money_time_path', sa.String(length=12), nullable=True))
    _rebuild(op.get_bind())


def downgrade() -> None:
    days = _bucket_table('money_time_days', 'day')
    op.execute(sa.delete(days).where(days.c.measure != TO_FILE))
    op.drop_column('payouts', 'money_time_path')
    op.drop_column('payouts', 'money_time_from')
    op.drop_table('money_time_months')


def _rebuild(connection: sa.Connection) -> None:
    claim_ids = list(connection.scalars(
        sa.select(payouts.c.claim_id).distinct()
        .join(runs, runs.c.id == payouts.c.run_id)
        .where(runs.c.file_written_at.is_not(None), payouts.c.method != 'voucher')
        .order_by(payouts.c.claim_id)))
    changes: Counter[Key] = Counter()
    sums: Counter[Key] = Counter()
    for start in range(0, len(claim_ids), CHUNK):
        _counted(connection, claim_ids[start:start + CHUNK], changes, sums)
    connection.execute(sa.delete(_bucket_table('money_time_days', 'day')))
    by_month: Counter[Key] = Counter()
    month_sums: Counter[Key] = Counter()
    for key, count in changes.items():
        day, operator_id, regime, path, measure, bucket = key
        month = (day.replace(day=1), operator_id, regime, path, measure, bucket)
        by_month[month] += count
        month_sums[month] += sums[key]
    for name, period, counted, summed in (('money_time_days', 'day', changes, sums),
                                          ('money_time_months', 'month', by_month, month_sums)):
        rows = [dict(zip((period, *BUCKET_COLUMNS), (*key, counted[key], summed[key]),
                         strict=True)) for key in sorted(counted)]
        if rows:
            connection.execute(sa.insert(_bucket_table(name, period)), rows)


def _counted(connection: sa.Connection, claim_ids: Sequence[int],
             changes: Counter[Key], sums: Counter[Key]) -> None:
    """The chunk's counted transfers: their start and path kept, their buckets added."""
    claims = {row.id: row for row in connection.execute(
        sa.select(claims_table, bookings.c.fare_kind)
        .outerjoin(bookings, bookings.c.id == claims_table.c.booking_id)
        .where(claims_table.c.id.in_(claim_ids)))}
    legs_of: dict[int, list[Any]] = {}
    for leg in connection.execute(sa.select(legs).where(legs.c.booking_id.in_(
            {row.booking_id for row in claims.values() if row.booking_id is not None}))
            .order_by(legs.c.booking_id, legs.c.position)):
        legs_of.setdefault(leg.booking_id, []).append(leg)
    arrivals = dict(connection.execute(sa.select(checks.c.claim_id, checks.c.arrived_at)
                                       .where(checks.c.claim_id.in_(claim_ids))).all())
    kept = []
    rows = connection.execute(
        sa.select(payouts.c.id, payouts.c.claim_id, payouts.c.confirmed_at,
                  payouts.c.returned_at, runs.c.file_written_at)
        .join(runs, runs.c.id == payouts.c.run_id)
        .where(payouts.c.claim_id.in_(claim_ids), runs.c.file_written_at.is_not(None),
               payouts.c.method != 'voucher')
        .order_by(payouts.c.claim_id, payouts.c.part)).all()
    standing: set[int] = set()
    original: dict[int, datetime] = {}
    for payout in rows:
        if payout.claim_id in standing:
            continue  # a top-up on money that arrived
        claim = claims[payout.claim_id]
        begun = original.get(claim.id) or _late_arrival(
            claim, legs_of.get(claim.booking_id, []), arrivals.get(claim.id))
        path = _path_of(claim)
        kept.append({"payout_id": payout.id, "start": begun, "path": path})
        if payout.returned_at is not None:
            original.setdefault(claim.id, begun)
            continue
        standing.add(claim.id)
        for measure, end in ((TO_FILE, payout.file_written_at),
                             (TO_CONFIRMATION, payout.confirmed_at)):
            if end is not None:
                seconds = max(0, int((end - begun).total_seconds()))
                key = (payout.file_written_at.date(), claim.operator_id, claim.regime, path,
                       measure, _bucket_of_seconds(seconds))
                changes[key] += 1
                sums[key] += seconds
    if kept:
        connection.execute(
            sa.update(payouts).where(payouts.c.id == sa.bindparam('payout_id'))
            .values(money_time_from=sa.bindparam('start'),
                    money_time_path=sa.bindparam('path')), kept)


# claims.processing.money_times and claims.core.journey as they were when this migration
# was written, copied: a migration runs as written whatever the domain's code becomes.
TO_FILE = "file"
TO_CONFIRMATION = "confirmed"
Key = tuple[date, int, str, str, str, int]


def _bucket_of_seconds(seconds: int) -> int:
    if seconds < 100:
        return seconds
    return 100 + math.floor(math.log(seconds / 100) / math.log(1.05))


def _path_of(claim: Any) -> str:
    if claim.origin == "proactive":
        return "proactive"
    if claim.booking_id is None:
        return "no-booking"
    return "clerk" if claim.reason_codes else "touchless"


def _late_arrival(claim: Any, booking_legs: list[Any], checked_arrival: datetime | None
                  ) -> datetime:
    if checked_arrival is not None:
        return checked_arrival
    journey = _journey_legs(booking_legs, claim.fare_kind or "single", claim.direction)
    if journey and claim.delay_minutes is not None:
        return journey[-1].scheduled_arrival + timedelta(minutes=claim.delay_minutes)
    return claim.submitted_at


def _journey_legs(legs: list[Any], fare_kind: str, direction: str) -> list[Any]:
    """A return ticket's legs that come back to where they began are two journeys, split
    at the longest stay; every other booking is one, outbound."""
    if fare_kind == "return" and len(legs) >= 2 and legs[-1].destination == legs[0].origin:
        _stay, turn = max((legs[i].scheduled_departure - legs[i - 1].scheduled_arrival, i)
                          for i in range(1, len(legs)))
        return legs[:turn] if direction == "outbound" else legs[turn:]
    return legs if direction == "outbound" else []
