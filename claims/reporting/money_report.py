"""The report's time to money: per operator and path, the median and 90th percentile from
the late arrival to the payout file (money_time_days, kept by claims.processing.
money_times when a file is written). One grouped read of a few thousand rows, whatever
the number of payments. Each measure is a column: "file" now, the bank's confirmation
when payouts record it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.db.models import MoneyTimeDay, Operator
from claims.reporting.effort_times import percentile
from claims.reporting.reports import ReportFilter, Times, days_in

MEASURES = ("file",)


@dataclass(frozen=True)
class MoneyTimes:
    operator: str
    path: str
    payouts: int
    # By measure: (p50, p90) in seconds.
    times: dict[str, Times] = field(default_factory=dict)


def time_to_money(session_factory: sessionmaker[Session],
                  wanted: ReportFilter) -> tuple[MoneyTimes, ...]:
    with session_factory() as session:
        rows = session.execute(
            select(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure, MoneyTimeDay.bucket,
                   func.sum(MoneyTimeDay.payouts), func.sum(MoneyTimeDay.seconds))
            .join(Operator, Operator.id == MoneyTimeDay.operator_id)
            .where(days_in(wanted, session, MoneyTimeDay))
            .group_by(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure,
                      MoneyTimeDay.bucket)
            .order_by(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure,
                      MoneyTimeDay.bucket)).all()
    buckets: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = {}
    for operator, path, measure, _bucket, payouts, seconds in rows:
        buckets.setdefault((operator, path), {}).setdefault(measure, []).append(
            (int(payouts), float(seconds) / int(payouts)))
    return tuple(_row(operator, path, measures)
                 for (operator, path), measures in buckets.items())


def _row(operator: str, path: str,
         measures: dict[str, list[tuple[int, float]]]) -> MoneyTimes:
    first: Sequence[tuple[int, float]] = measures.get(MEASURES[0], [])
    return MoneyTimes(operator, path, sum(count for count, _mean in first), {
        measure: Times(percentile(counted, 0.5), percentile(counted, 0.9))
        for measure, counted in measures.items()})
