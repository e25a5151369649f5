"""The sums a report reads: what each day's sums (effort_days) hold, and one pass over the
days a report covers, by path, week, status and whether a person decided, added up here
into the totals, the paths, the weeks, the drivers' touchless baseline and the proactive
figures' paths and statuses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ASSESSED
from claims.db.dialect import monday_of
from claims.db.models import ClaimEffort as E
from claims.db.models import EffortDay

TOP_BOX = 5  # CES 2.0: 5, 6 and 7 agree


def summed(expression: Any) -> Any:
    return func.coalesce(func.sum(cast(expression, Integer)), 0)


@dataclass
class Sums:
    """Sums over some effort records; each field is a column of effort_days too."""

    claims: int = 0
    touchless: int = 0          # decided without a person
    decided: int = 0
    touchless_paid: int = 0
    paid: int = 0
    clerk_seconds: int = 0
    jobs: int = 0
    typed_fields: int = 0
    active_seconds: int = 0
    contacts: int = 0
    info_requests: int = 0
    ces_total: int = 0
    ces_answers: int = 0
    ces_top_box: int = 0
    clerk_counted: int = 0      # records with clerk seconds (a clerk's work measured)

    def add(self, other: Sums) -> None:
        for name in SUM_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


SUM_NAMES = [f.name for f in fields(Sums)]
# How each sum is made from the records, in the order of Sums: what effort_days keeps.
RECORD_SUMS = (
    func.count(), summed(E.touchless_decision), summed(E.status.in_(ASSESSED)),
    summed(E.touchless_payout), summed(E.paid), summed(E.clerk_seconds), summed(E.jobs),
    summed(E.fields_typed), summed(E.active_seconds), summed(E.contacts),
    summed(E.info_requests), summed(E.ces_score), func.count(E.ces_score),
    summed(E.ces_score >= TOP_BOX), func.count(E.clerk_seconds))
WEEK = monday_of(EffortDay.day)


@dataclass
class Grouped:
    total: Sums
    by_path: dict[str, Sums]
    by_week: dict[date, Sums]
    touchless: Sums  # the records decided without a person: the drivers' baseline
    by_path_and_status: dict[tuple[str, str], Sums]
    first: Any      # the first and last instant a record was filed (text on SQLite)
    last: Any


def grouped_query(days: ColumnElement[bool]) -> Select[Any]:
    """The report's sums, from the days' sums (effort_days) that `days` selects."""
    return select(EffortDay.path, WEEK, EffortDay.touchless_decision, EffortDay.status,
                  *(func.sum(getattr(EffortDay, name)) for name in SUM_NAMES),
                  func.min(EffortDay.first_at), func.max(EffortDay.last_at)).where(days) \
        .group_by(EffortDay.path, WEEK, EffortDay.touchless_decision, EffortDay.status)


def add_up(rows: list[Any]) -> Grouped:
    grouped = Grouped(Sums(), {}, {}, Sums(), {}, None, None)
    for row in rows:
        path, week, touchless, status = row[0], row[1], row[2], row[3]
        sums = Sums(*(int(n or 0) for n in row[4:4 + len(SUM_NAMES)]))
        grouped.total.add(sums)
        if touchless:
            grouped.touchless.add(sums)
        grouped.by_path.setdefault(path, Sums()).add(sums)
        grouped.by_path_and_status.setdefault((path, status), Sums()).add(sums)
        grouped.by_week.setdefault(_day(week), Sums()).add(sums)
        first, last = row[-2], row[-1]
        # Instants of one kind throughout (datetimes, or SQLite's ISO text): comparable.
        grouped.first = first if grouped.first is None else min(grouped.first, first)
        grouped.last = last if grouped.last is None else max(grouped.last, last)
    return grouped


def _day(week: Any) -> date:
    return week.date() if isinstance(week, datetime) else date.fromisoformat(str(week))
