"""The management reports of effort.md, computed from the effort records.

SQL only sums and counts whole numbers; costs are worked out from those sums with the cost
model's Decimal rates, so a report states exactly what its rates give."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any

from sqlalchemy import Integer, and_, cast, false, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ASSESSED, EventKind, ReasonCode
from claims.db.models import Claim, ClaimEffort, ClaimEvent, EffortDriver, Operator, StartedClaim

SessionFactory = sessionmaker[Session]
E = ClaimEffort
PATHS = ("touchless", "clerk", "no-booking")
TOP_BOX = 5  # CES 2.0: 5, 6 and 7 agree


@dataclass(frozen=True)
class CostModel:
    """Time-driven activity-based costing: a clerk hour at its capacity cost rate, each job
    of the system, each payout transaction."""

    clerk_per_hour: Decimal
    per_job: Decimal
    per_payout: Decimal
    currency: str = "EUR"

    def cost(self, clerk_seconds: int | Decimal, jobs: int | Decimal,
             payouts: int | Decimal) -> Decimal:
        return (Decimal(clerk_seconds) * self.clerk_per_hour / 3600
                + Decimal(jobs) * self.per_job + Decimal(payouts) * self.per_payout)


@dataclass(frozen=True)
class ReportFilter:
    start: date | None = None
    end: date | None = None  # inclusive
    operator: str | None = None
    regime: str | None = None


@dataclass(frozen=True)
class Times:
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class PathFigures:
    path: str
    claims: int
    typed_fields: float
    active_minutes: float
    contacts: float
    info_requests: float
    clerk_minutes: float
    cost: Decimal
    ces_mean: float | None
    ces_top_box: float | None
    ces_answers: int


@dataclass(frozen=True)
class Driver:
    driver: str
    claims: int
    mean_cost: Decimal
    cost_of_complexity: Decimal
    passenger_minutes: float


@dataclass(frozen=True)
class Week:
    start: date
    claims: int
    straight_through: float | None
    mean_cost: Decimal
    ces_mean: float | None


@dataclass(frozen=True)
class Report:
    claims: int
    straight_through_decision: float | None
    straight_through_payout: float | None
    decision_time: Times
    payout_time: Times
    queue_time: Times
    paths: tuple[PathFigures, ...]
    drivers: tuple[Driver, ...]
    weeks: tuple[Week, ...]
    started: int
    abandoned: int
    total_cost: Decimal
    cost_model: CostModel
    sections_ms: dict[str, float] = field(default_factory=dict)


def _where(wanted: ReportFilter, session: Session) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.start:
        conditions.append(E.submitted_at >= _instant(wanted.start))
    if wanted.end:
        conditions.append(E.submitted_at < _instant(wanted.end + timedelta(days=1)))
    if wanted.regime:
        conditions.append(E.regime == wanted.regime)
    if wanted.operator:
        operator_id = session.scalar(select(Operator.id).where(Operator.slug == wanted.operator))
        conditions.append(E.operator_id == (operator_id or -1))
    return and_(True, *conditions)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def report(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel) -> Report:
    timings: dict[str, float] = {}

    def timed(name: str, work: Any) -> Any:
        started = perf_counter()
        result = work()
        timings[name] = timings.get(name, 0.0) + (perf_counter() - started) * 1000
        return result

    with session_factory() as session:
        where = _where(wanted, session)
        totals = timed("summary", lambda: _summary(session, where))
        decision_time, payout_time, queue_time = timed("times", lambda: _all_times(
            session, where, (E.decision_seconds, E.payout_seconds, E.queue_seconds)))
        paths = timed("paths", lambda: _paths(session, where, model))
        drivers = timed("complexity", lambda: _drivers(session, where, model))
        weeks = timed("weeks", lambda: _weeks(session, where, model))
        started, abandoned = timed("abandonment", lambda: _abandonment(session, wanted))
    claims, touchless, decided, touchless_paid, paid, clerk_s, jobs = totals
    return Report(
        claims=claims,
        straight_through_decision=touchless / decided if decided else None,
        straight_through_payout=touchless_paid / paid if paid else None,
        decision_time=decision_time, payout_time=payout_time, queue_time=queue_time,
        paths=paths, drivers=drivers,
        weeks=weeks, started=started, abandoned=abandoned,
        total_cost=model.cost(clerk_s, jobs, paid), cost_model=model, sections_ms=timings)


def _int(expression: Any) -> Any:
    return func.coalesce(func.sum(cast(expression, Integer)), 0)



def _summary(session: Session, where: ColumnElement[bool]) -> tuple[int, ...]:
    decided = E.status.in_(ASSESSED)
    row = session.execute(select(
        func.count(), _int(E.touchless_decision), _int(decided), _int(E.touchless_payout),
        _int(E.paid), _int(E.clerk_seconds), _int(E.jobs)).where(where)).one()
    return tuple(int(value or 0) for value in row)


def _all_times(session: Session, where: ColumnElement[bool],
               columns: Sequence[Any]) -> list[Times]:
    """p50 and p90 of each column; on PostgreSQL in one pass (percentiles skip nulls)."""
    if session.get_bind().dialect.name != "postgresql":
        return [_times(session, where, column) for column in columns]
    row = session.execute(select(*[
        func.percentile_cont(share).within_group(column)
        for column in columns for share in (0.5, 0.9)]).where(where)).one()
    return [Times(row[2 * i], row[2 * i + 1]) for i in range(len(columns))]


def _times(session: Session, where: ColumnElement[bool], column: Any) -> Times:
    """p50 and p90 in seconds: in the database where it can, else over the values."""
    known = and_(where, column.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        p50, p90 = session.execute(select(
            func.percentile_cont(0.5).within_group(column),
            func.percentile_cont(0.9).within_group(column)).where(known)).one()
        return Times(p50, p90)
    values = list(session.scalars(select(column).where(known).order_by(column)))
    if not values:
        return Times(None, None)
    if len(values) == 1:
        return Times(values[0], values[0])
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return Times(statistics.median(values), cuts[8])


def _paths(session: Session, where: ColumnElement[bool],
           model: CostModel) -> tuple[PathFigures, ...]:
    rows = session.execute(select(
        E.path, func.count(), func.avg(E.fields_typed), func.avg(E.active_seconds),
        func.avg(E.contacts), func.avg(E.info_requests), _int(E.clerk_seconds), _int(E.jobs),
        _int(E.paid), func.avg(E.ces_score), _int(E.ces_score >= TOP_BOX),
        func.count(E.ces_score)).where(where).group_by(E.path)).all()
    figures = []
    for (path, n, typed, active, contacts, asked, clerk_s, jobs, paid, ces, top,
         answers) in rows:
        figures.append(PathFigures(
            path=path, claims=n, typed_fields=float(typed or 0),
            active_minutes=float(active or 0) / 60, contacts=float(contacts or 0),
            info_requests=float(asked or 0), clerk_minutes=clerk_s / 60 / n,
            cost=model.cost(clerk_s, jobs, paid) / n,
            ces_mean=float(ces) if ces is not None else None,
            ces_top_box=top / answers if answers else None, ces_answers=answers))
    return tuple(sorted(figures, key=lambda f: PATHS.index(f.path) if f.path in PATHS else 9))


def _drivers(session: Session, where: ColumnElement[bool],
             model: CostModel) -> tuple[Driver, ...]:
    """Cost of complexity per driver = (mean cost of its claims - mean cost of touchless
    claims) x its claims; passenger minutes likewise. Ranked, largest first (Pareto)."""
    base = session.execute(select(
        func.count(), _int(E.clerk_seconds), _int(E.jobs), _int(E.paid),
        func.coalesce(func.sum(E.active_seconds), 0)).where(
        where, E.touchless_decision.is_(True))).one()
    touchless_n = base[0] or 0
    touchless_cost = model.cost(base[1], base[2], base[3]) / touchless_n if touchless_n \
        else Decimal(0)
    touchless_active = (base[4] / touchless_n / 60) if touchless_n else 0.0
    rows = session.execute(select(
        EffortDriver.driver, func.count(), _int(E.clerk_seconds), _int(E.jobs), _int(E.paid),
        func.coalesce(func.sum(E.active_seconds), 0))
        .join(E, E.claim_id == EffortDriver.claim_id).where(where)
        .group_by(EffortDriver.driver)).all()
    drivers = []
    for driver, n, clerk_s, jobs, paid, active in rows:
        mean = model.cost(clerk_s, jobs, paid) / n
        drivers.append(Driver(driver, n, mean, (mean - touchless_cost) * n,
                              (active / n / 60 - touchless_active) * n))
    return tuple(sorted(drivers, key=lambda d: (-d.cost_of_complexity, d.driver)))


def _week_start(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", E.submitted_at), type_=E.submitted_at.type)
    return func.date(E.submitted_at, "weekday 0", "-6 days")


def _weeks(session: Session, where: ColumnElement[bool], model: CostModel) -> tuple[Week, ...]:
    week = _week_start(session).label("week")
    decided = E.status.in_(ASSESSED)
    rows = session.execute(select(
        week, func.count(), _int(E.touchless_decision), _int(decided), _int(E.clerk_seconds),
        _int(E.jobs), _int(E.paid), func.avg(E.ces_score)).where(where)
        .group_by(week).order_by(week)).all()
    weeks = []
    for start, n, touchless, decided_n, clerk_s, jobs, paid, ces in rows:
        day = start.date() if isinstance(start, datetime) else date.fromisoformat(str(start))
        weeks.append(Week(day, n, touchless / decided_n if decided_n else None,
                          model.cost(clerk_s, jobs, paid) / n,
                          float(ces) if ces is not None else None))
    return tuple(weeks)


def _abandonment(session: Session, wanted: ReportFilter) -> tuple[int, int]:
    """Claims started (the claim form opened, or the form without a booking) and how many
    of them were never filed."""
    started = select(func.count(), _int(StartedClaim.filed))
    manual = select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.kind == EventKind.MANUAL_FORM_SHOWN)
    manual_filed = select(func.count()).select_from(Claim).where(
        Claim.manual_journey.is_not(None))
    if wanted.start:
        started = started.where(StartedClaim.started_at >= _instant(wanted.start))
        manual = manual.where(ClaimEvent.at >= _instant(wanted.start))
        manual_filed = manual_filed.where(Claim.submitted_at >= _instant(wanted.start))
    if wanted.end:
        end = _instant(wanted.end + timedelta(days=1))
        started = started.where(StartedClaim.started_at < end)
        manual = manual.where(ClaimEvent.at < end)
        manual_filed = manual_filed.where(Claim.submitted_at < end)
    if wanted.regime:
        started = started.where(StartedClaim.regime == wanted.regime)
    if wanted.operator:
        started = started.where(StartedClaim.operator_id.in_(
            select(Operator.id).where(Operator.slug == wanted.operator)))
    opened, filed = session.execute(started).one()
    # The form without a booking names no operator until it is sent: counted only unfiltered.
    manual_opened = manual_done = 0
    if not (wanted.operator or wanted.regime):
        manual_opened = session.scalar(manual) or 0
        manual_done = session.scalar(manual_filed) or 0
    return (opened or 0) + manual_opened, max(0, (opened or 0) - (filed or 0)) + max(
        0, manual_opened - manual_done)


# What-if: replay the stored claims through another policy -----------------------------

@dataclass(frozen=True)
class Scenario:
    straight_through: float | None
    cost: Decimal
    clerk_hours: float
    info_requests: int
    passenger_hours: float


@dataclass(frozen=True)
class WhatIf:
    today: Scenario
    changed: Scenario
    claims_freed: int     # from a clerk to straight through
    claims_added: int     # from straight through to a clerk


def what_if(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel, *,
            auto_approve_limit: Decimal | None, rules_off: Sequence[str]) -> WhatIf:
    """Each claim decided again by the policy layer with the stored reason codes and
    amount: codes switched off are dropped; with another limit, amount-over-limit is
    given by the amount. A claim freed costs what touchless claims cost on average; one
    added costs what claims over the limit cost a clerk on average today."""
    over_limit = ReasonCode.AMOUNT_OVER_LIMIT.value
    off = set(rules_off)
    with session_factory() as session:
        where = _where(wanted, session)
        over: ColumnElement[bool] = (E.amount > auto_approve_limit
                                     if auto_approve_limit is not None else false())
        decided = E.status.in_(ASSESSED)
        rows = session.execute(select(
            E.reason_codes, E.touchless_decision, func.coalesce(over, False), func.count(),
            _int(E.clerk_seconds), _int(E.jobs), _int(E.paid), _int(E.info_requests),
            _int(E.active_seconds), _int(E.contacts))
            .where(where, decided, E.path != "no-booking")
            # By position: the limit's bound parameter would make PostgreSQL see the
            # grouped expression as another one than the selected.
            .group_by(text("1"), text("2"), text("3"))).all()
    today_touchless = sum(row[3] for row in rows if row[1])
    claims = sum(row[3] for row in rows)
    touchless_rows = [row for row in rows if row[1]]
    per_touchless_active = (sum(r[8] for r in touchless_rows) / today_touchless
                            if today_touchless else 0)
    limit_rows = [row for row in rows if not row[1] and over_limit in (row[0] or "").split()]
    limit_claims = sum(r[3] for r in limit_rows)
    clerk_per_limit_claim = sum(r[4] for r in limit_rows) / limit_claims if limit_claims \
        else 0
    today = _scenario(rows, model, claims)
    changed_rows, freed, added = [], 0, 0
    for row in rows:
        codes, touchless, is_over, n = row[0], row[1], row[2], row[3]
        reasons = set((codes or "").split()) - off
        if auto_approve_limit is not None:
            reasons.discard(over_limit)
            if is_over and over_limit not in off:
                reasons.add(over_limit)
        now_touchless = not reasons
        if now_touchless and not touchless:
            freed += n
            changed_rows.append((codes, True, is_over, n, 0, row[5], row[6], 0,
                                 per_touchless_active * n, row[9]))
        elif touchless and not now_touchless:
            added += n
            changed_rows.append((codes, False, is_over, n, clerk_per_limit_claim * n, row[5],
                                 row[6], row[7], row[8], row[9]))
        else:
            changed_rows.append(tuple(row))
    return WhatIf(today, _scenario(changed_rows, model, claims), freed, added)


def _scenario(rows: Sequence[Any], model: CostModel, claims: int) -> Scenario:
    touchless = sum(row[3] for row in rows if row[1])
    return Scenario(
        straight_through=touchless / claims if claims else None,
        cost=model.cost(Decimal(sum(r[4] for r in rows)), sum(r[5] for r in rows),
                        sum(r[6] for r in rows)),
        clerk_hours=sum(float(r[4]) for r in rows) / 3600,
        info_requests=int(sum(r[7] for r in rows)),
        passenger_hours=sum(float(r[8]) for r in rows) / 3600)


def effort_rows(session_factory: SessionFactory, wanted: ReportFilter,
                chunk: int = 5000) -> Any:
    """Every effort record in the filter, for the CSV export, streamed in chunks."""
    columns = [c for c in E.__table__.columns]
    with session_factory() as session:
        where = _where(wanted, session)
        yield [c.name for c in columns]
        last = 0
        while True:
            batch = session.execute(select(*columns).where(where, E.claim_id > last)
                                    .order_by(E.claim_id).limit(chunk)).all()
            if not batch:
                return
            yield from ([*row] for row in batch)
            last = batch[-1][0]


def driver_label(driver: str) -> tuple[str, str]:
    kind, _, name = driver.partition(":")
    return kind, name
