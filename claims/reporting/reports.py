"""The management reports of effort.md, computed from the effort records.

SQL only sums and counts whole numbers; costs are worked out from those sums with the cost
model's Decimal rates, so a report states exactly what its rates give."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, cast, false, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ASSESSED, EventKind, ReasonCode
from claims.db.dialect import medians_and_p90, sorts_in_memory, week_start
from claims.db.models import Claim, ClaimEffort, ClaimEvent, EffortDriver, Operator, StartedClaim

SessionFactory = sessionmaker[Session]
E = ClaimEffort
PATHS = ("proactive", "touchless", "clerk", "no-booking")
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
    # The first and last day a claim of the report was filed (None: no claims).
    first_day: date | None = None
    last_day: date | None = None


def records_in(wanted: ReportFilter, session: Session) -> ColumnElement[bool]:
    """The effort records in the filter, by when their claim was filed."""
    return filter_on(wanted, session, at=E.submitted_at, regime=E.regime,
                     operator_id=E.operator_id)


def filter_on(wanted: ReportFilter, session: Session, *, at: Any, regime: Any,
              operator_id: Any) -> ColumnElement[bool]:
    """The filter on any table that has an instant, a regime and an operator."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.start:
        conditions.append(at >= instant_of(wanted.start))
    if wanted.end:
        conditions.append(at < instant_of(wanted.end + timedelta(days=1)))
    if wanted.regime:
        conditions.append(regime == wanted.regime)
    if wanted.operator:
        operator = session.scalar(select(Operator.id).where(Operator.slug == wanted.operator))
        conditions.append(operator_id == (operator or -1))
    return and_(True, *conditions)


def instant_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def report(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel) -> Report:
    with session_factory() as session:
        sorts_in_memory(session)
        where = records_in(wanted, session)
        # One pass over the records for the totals, the paths and the touchless baseline.
        by_path = session.execute(_BY_PATH.where(where)).all()
        totals = tuple(sum(int(row[i] or 0) for row in by_path) for i in range(1, 8))
        decision_time, payout_time, queue_time = _all_times(
            session, where, (E.decision_seconds, E.payout_seconds, E.queue_seconds))
        paths = _paths(by_path, model)
        drivers = _drivers(session, where, model, touchless=[
            sum(int(row[i] or 0) for row in by_path) for i in range(17, 22)])
        weeks = _weeks(session, where, model)
        started, abandoned = _abandonment(session, wanted)
    first = min((row[15] for row in by_path if row[15] is not None), default=None)
    last = max((row[16] for row in by_path if row[16] is not None), default=None)
    claims, touchless, decided, touchless_paid, paid, clerk_s, jobs = totals
    return Report(
        claims=claims,
        straight_through_decision=touchless / decided if decided else None,
        straight_through_payout=touchless_paid / paid if paid else None,
        decision_time=decision_time, payout_time=payout_time, queue_time=queue_time,
        paths=paths, drivers=drivers,
        weeks=weeks, started=started, abandoned=abandoned,
        total_cost=model.cost(clerk_s, jobs, paid), cost_model=model,
        first_day=_day_of(first), last_day=_day_of(last))


def claim_period(session_factory: SessionFactory,
                 wanted: ReportFilter) -> tuple[date | None, date | None]:
    """The first and last day a claim in the filter was filed."""
    with session_factory() as session:
        return _period(session, records_in(wanted, session))


def _period(session: Session, where: ColumnElement[bool]) -> tuple[date | None, date | None]:
    first, last = session.execute(select(func.min(E.submitted_at),
                                         func.max(E.submitted_at)).where(where)).one()
    return _day_of(first), _day_of(last)


def _day_of(value: Any) -> date | None:
    """min()/max() of a timestamp: a datetime on PostgreSQL, text on SQLite."""
    if value is None:
        return None
    return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).date()


def _int(expression: Any) -> Any:
    return func.coalesce(func.sum(cast(expression, Integer)), 0)



def _touchless(expression: Any) -> Any:
    """The sum over the records decided without a person (the drivers' baseline)."""
    return func.coalesce(func.sum(cast(expression, Integer)).filter(
        E.touchless_decision.is_(True)), 0)


# Per path: 0 the path; 1-7 the totals (claims, touchless decisions, decided, touchless
# payouts, paid, clerk seconds, jobs); 8-16 the path's own figures; 17-21 the touchless
# baseline (claims, clerk seconds, jobs, paid, passenger seconds).
_BY_PATH = select(
    E.path, func.count(), _int(E.touchless_decision), _int(E.status.in_(ASSESSED)),
    _int(E.touchless_payout), _int(E.paid), _int(E.clerk_seconds), _int(E.jobs),
    func.avg(E.fields_typed), func.avg(E.active_seconds), func.avg(E.contacts),
    func.avg(E.info_requests), func.avg(E.ces_score), _int(E.ces_score >= TOP_BOX),
    func.count(E.ces_score), func.min(E.submitted_at), func.max(E.submitted_at),
    _touchless(1), _touchless(E.clerk_seconds), _touchless(E.jobs), _touchless(E.paid),
    _touchless(E.active_seconds)).group_by(E.path)


def _all_times(session: Session, where: ColumnElement[bool],
               columns: Sequence[Any]) -> list[Times]:
    """p50 and p90 of each column, nulls skipped."""
    return [Times(p50, p90) for p50, p90 in medians_and_p90(session, where, columns)]


def _paths(by_path: Sequence[Any], model: CostModel) -> tuple[PathFigures, ...]:
    figures = []
    for row in by_path:
        path, n, clerk_s, jobs, paid = row[0], row[1], row[6], row[7], row[5]
        typed, active, contacts, asked, ces, top, answers = row[8:15]
        figures.append(PathFigures(
            path=path, claims=n, typed_fields=float(typed or 0),
            active_minutes=float(active or 0) / 60, contacts=float(contacts or 0),
            info_requests=float(asked or 0), clerk_minutes=clerk_s / 60 / n,
            cost=model.cost(clerk_s, jobs, paid) / n,
            ces_mean=float(ces) if ces is not None else None,
            ces_top_box=top / answers if answers else None, ces_answers=answers))
    return tuple(sorted(figures, key=lambda f: PATHS.index(f.path) if f.path in PATHS else 9))


def _drivers(session: Session, where: ColumnElement[bool], model: CostModel, *,
             touchless: Sequence[int]) -> tuple[Driver, ...]:
    """Cost of complexity per driver = (mean cost of its claims - mean cost of touchless
    claims) x its claims; passenger minutes likewise. Ranked, largest first (Pareto).
    `touchless`: the touchless claims, their clerk seconds, jobs, payouts and passenger
    seconds."""
    base = touchless
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


def _weeks(session: Session, where: ColumnElement[bool], model: CostModel) -> tuple[Week, ...]:
    week = week_start(E.submitted_at).label("week")
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
        started = started.where(StartedClaim.started_at >= instant_of(wanted.start))
        manual = manual.where(ClaimEvent.at >= instant_of(wanted.start))
        manual_filed = manual_filed.where(Claim.submitted_at >= instant_of(wanted.start))
    if wanted.end:
        end = instant_of(wanted.end + timedelta(days=1))
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
class Move:
    """One kind of claim the change moves, and what moves with it."""

    kind: str              # "freed": to straight through; "added": to a clerk
    claims: int
    clerk_hours: float     # the clerk time that goes (freed) or comes (added)
    estimated: int         # of the claims, how many still wait: their time is estimated


@dataclass(frozen=True)
class WhatIf:
    today: Scenario
    changed: Scenario
    claims_freed: int     # from a clerk to straight through
    claims_added: int     # from straight through to a clerk
    moves: tuple[Move, ...] = ()
    clerk_minutes_per_claim: float = 0.0  # measured today; the estimate for waiting claims


def what_if(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel, *,
            auto_approve_limit: Decimal | None, rules_off: Sequence[str]) -> WhatIf:
    """Each claim decided again by the policy layer with the stored reason codes and
    amount: codes switched off are dropped; with another limit, amount-over-limit is
    given by the amount. Claims a clerk has not handled yet (still waiting) count the
    clerk time a handled claim takes today, in both columns: they will cost it unless the
    change frees them. A claim freed costs what touchless claims cost on average; one
    added costs what claims a clerk handles cost on average today."""
    over_limit = ReasonCode.AMOUNT_OVER_LIMIT.value
    off = set(rules_off)
    with session_factory() as session:
        where = records_in(wanted, session)
        over: ColumnElement[bool] = (E.amount > auto_approve_limit
                                     if auto_approve_limit is not None else false())
        decided = E.status.in_(ASSESSED)
        rows = [_Group(*row) for row in session.execute(select(
            E.reason_codes, E.touchless_decision, func.coalesce(over, False),
            func.coalesce(E.clerk_seconds, 0) > 0, func.count(),
            _int(E.clerk_seconds), _int(E.jobs), _int(E.paid), _int(E.info_requests),
            _int(E.active_seconds), _int(E.contacts))
            .where(where, decided, E.path != "no-booking")
            # By position: the limit's bound parameter would make PostgreSQL see the
            # grouped expression as another one than the selected.
            .group_by(text("1"), text("2"), text("3"), text("4")))]
    claims = sum(group.claims for group in rows)
    touchless_groups = [group for group in rows if group.touchless]
    today_touchless = sum(group.claims for group in touchless_groups)
    per_touchless_active = (sum(g.active_seconds for g in touchless_groups) / today_touchless
                            if today_touchless else 0)
    handled = [g for g in rows if not g.touchless and g.handled]
    handled_claims = sum(g.claims for g in handled)
    per_clerk_claim = (sum(g.clerk_seconds for g in handled) / handled_claims
                       if handled_claims else 0.0)
    # Waiting claims: the clerk time they will take, as handled ones take it today.
    rows = [g._replace(clerk_seconds=per_clerk_claim * g.claims)
            if not g.touchless and not g.handled else g for g in rows]
    today = _scenario(rows, model, claims)
    changed: list[_Group] = []
    freed = _Tally()
    added = _Tally()
    for group in rows:
        reasons = set(group.reasons) - off
        if auto_approve_limit is not None:
            reasons.discard(over_limit)
            if group.over_limit and over_limit not in off:
                reasons.add(over_limit)
        now_touchless = not reasons
        if now_touchless and not group.touchless:
            freed.add(group.claims, group.clerk_seconds, 0 if group.handled else group.claims)
            changed.append(group._replace(touchless=True, clerk_seconds=0, info_requests=0,
                                          active_seconds=per_touchless_active * group.claims))
        elif group.touchless and not now_touchless:
            added.add(group.claims, per_clerk_claim * group.claims, group.claims)
            changed.append(group._replace(touchless=False,
                                          clerk_seconds=per_clerk_claim * group.claims))
        else:
            changed.append(group)
    moves = tuple(tally.move(kind) for kind, tally in (("freed", freed), ("added", added))
                  if tally.claims)
    return WhatIf(today, _scenario(changed, model, claims), freed.claims, added.claims,
                  moves, per_clerk_claim / 60)


class _Tally:
    def __init__(self) -> None:
        self.claims, self.seconds, self.estimated = 0, 0.0, 0

    def add(self, claims: int, seconds: float, estimated: int) -> None:
        self.claims += claims
        self.seconds += seconds
        self.estimated += estimated

    def move(self, kind: str) -> Move:
        return Move(kind, self.claims, self.seconds / 3600, self.estimated)


class _Group(NamedTuple):
    """Claims alike for the what-if: same reason codes, path, side of the limit, and
    whether a clerk has handled them yet."""

    codes: str | None
    touchless: bool
    over_limit: bool
    handled: bool
    claims: int
    clerk_seconds: float
    jobs: int
    paid: int
    info_requests: int
    active_seconds: float
    contacts: int

    @property
    def reasons(self) -> list[str]:
        return (self.codes or "").split()


def _scenario(groups: Sequence[_Group], model: CostModel, claims: int) -> Scenario:
    touchless = sum(group.claims for group in groups if group.touchless)
    clerk_seconds = sum(group.clerk_seconds for group in groups)
    return Scenario(
        straight_through=touchless / claims if claims else None,
        cost=model.cost(Decimal(clerk_seconds), sum(g.jobs for g in groups),
                        sum(g.paid for g in groups)),
        clerk_hours=float(clerk_seconds) / 3600,
        info_requests=int(sum(g.info_requests for g in groups)),
        passenger_hours=sum(float(g.active_seconds) for g in groups) / 3600)


def effort_rows(session_factory: SessionFactory, wanted: ReportFilter,
                chunk: int = 5000) -> Any:
    """Every effort record in the filter, for the CSV export, streamed in chunks."""
    columns = [c for c in E.__table__.columns]
    with session_factory() as session:
        where = records_in(wanted, session)
        yield [c.name for c in columns]
        last = 0
        while True:
            batch = session.execute(select(*columns).where(where, E.claim_id > last)
                                    .order_by(E.claim_id).limit(chunk)).all()
            if not batch:
                return
            yield from ([*row] for row in batch)
            last = batch[-1][0]
