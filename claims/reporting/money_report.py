"""The report's time to money: per operator and path, the median and 90th percentile from
the late arrival to the payout file and to the bank's confirmation, and how many of the
payments the bank confirmed (the buckets claims.processing.money_times keeps).

The whole months of the period are read from money_time_months, only the days of the
months it cuts through from money_time_days: a year is some twenty thousand month rows
and at most two partial months of days, not the 390,000 day rows of a million payments
(2.1 s on SQLite, 1.2 s on PostgreSQL). Both tables hold the same integer counts and
seconds, so the sums, and the percentiles from them, are exactly those of the days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from claims.db.models import MoneyTimeDay, MoneyTimeMonth, Operator
from claims.processing.money_times import TO_CONFIRMATION, TO_FILE, month_of
from claims.reporting.effort_times import percentile
from claims.reporting.reports import ReportFilter, Times, days_in, operator_and_regime_in

MEASURES = (TO_FILE, TO_CONFIRMATION)


@dataclass(frozen=True)
class MoneyTimes:
    operator: str
    path: str
    payouts: int
    confirmed: int = 0  # of those payouts, how many the bank confirmed
    # By measure: (p50, p90) in seconds; a measure with no payment is absent.
    times: dict[str, Times] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodSplit:
    """A period as whole months (first month, the month after the last; None: open) and
    the day ranges (inclusive) of the months it cuts through. months None: none whole."""

    months: tuple[date | None, date | None] | None
    days: tuple[tuple[date | None, date | None], ...]


def split_period(start: date | None, end: date | None) -> PeriodSplit:
    first = start if start is None or start.day == 1 else _next_month(start)
    after = None if end is None else (
        _next_month(end) if _next_month(end) - timedelta(days=1) == end else month_of(end))
    if first is not None and after is not None and first >= after:
        return PeriodSplit(None, ((start, end),))
    days: list[tuple[date | None, date | None]] = []
    if start is not None and first is not None and first != start:
        days.append((start, first - timedelta(days=1)))
    if end is not None and after is not None and after <= end:
        days.append((after, end))
    return PeriodSplit((first, after), tuple(days))


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


# (operator name, path, measure, bucket)
BucketKey = tuple[str, str, str, int]
# Its rows: the key, then the payments and their seconds.
Grouped = Select[str, str, str, int, int, int]


def time_to_money(session_factory: sessionmaker[Session],
                  wanted: ReportFilter) -> tuple[MoneyTimes, ...]:
    split = split_period(wanted.start, wanted.end)
    counts: Counter[BucketKey] = Counter()
    seconds: Counter[BucketKey] = Counter()
    with session_factory() as session:
        for query in _queries(session, wanted, split):
            for operator, path, measure, bucket, payouts, summed in session.execute(query):
                key = (operator, path, measure, bucket)
                counts[key] += int(payouts)
                seconds[key] += int(summed)
    buckets: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = {}
    for key in sorted(counts):
        operator, path, measure, _bucket = key
        if counts[key] > 0:  # a bucket every payment of which the bank returned
            buckets.setdefault((operator, path), {}).setdefault(measure, []).append(
                (counts[key], seconds[key] / counts[key]))
    return tuple(_row(operator, path, measures)
                 for (operator, path), measures in buckets.items())


def _queries(session: Session, wanted: ReportFilter,
             split: PeriodSplit) -> list[Grouped]:
    queries = []
    if split.days:
        queries.append(_grouped(MoneyTimeDay, or_(*(
            days_in(replace(wanted, start=first, end=last), session, MoneyTimeDay)
            for first, last in split.days))))
    if split.months is not None:
        first, after = split.months
        conditions = [operator_and_regime_in(wanted, session, MoneyTimeMonth)]
        if first is not None:
            conditions.append(MoneyTimeMonth.month >= first)
        if after is not None:
            conditions.append(MoneyTimeMonth.month < after)
        queries.append(_grouped(MoneyTimeMonth, *conditions))
    return queries


def _grouped(table: type[MoneyTimeDay] | type[MoneyTimeMonth], *where: Any) -> Grouped:
    return (select(Operator.name, table.path, table.measure, table.bucket,
                   func.sum(table.payouts), func.sum(table.seconds))
            .join(Operator, Operator.id == table.operator_id)
            .where(*where)
            .group_by(Operator.name, table.path, table.measure, table.bucket))


def _row(operator: str, path: str,
         measures: dict[str, list[tuple[int, float]]]) -> MoneyTimes:
    def payments(measure: str) -> int:
        counted: Sequence[tuple[int, float]] = measures.get(measure, [])
        return sum(count for count, _mean in counted)

    return MoneyTimes(operator, path, payments(TO_FILE), payments(TO_CONFIRMATION), {
        measure: Times(percentile(counted, 0.5), percentile(counted, 0.9))
        for measure, counted in measures.items()})
