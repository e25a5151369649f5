"""The management reports of effort.md, computed from the effort records.

SQL only sums and counts whole numbers; costs are worked out from those sums with the cost
model's Decimal rates, so a report states exactly what its rates give."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any, NamedTuple

from sqlalchemy import and_, false, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ASSESSED, EventKind, ReasonCode
from claims.db.models import (
    Claim,
    ClaimEffort,
    ClaimEvent,
    EffortDay,
    EffortDriverDay,
    EffortTimeDay,
    MoneyTimeDay,
    MoneyTimeMonth,
    Operator,
    StartedClaim,
    UnclaimedDay,
)
from claims.db.snapshot_reads import read_at_once
from claims.reporting.effort_times import buckets_query, percentiles_by_measure
from claims.reporting.record_sums import Sums, add_up, grouped_query, summed

SessionFactory = sessionmaker[Session]
E = ClaimEffort
PATHS = ("proactive", "touchless", "clerk", "no-booking")


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


NO_TIMES = (None, None)


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
    # The whole week lies in the report's period and is over: a trend compares these.
    complete: bool = True


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
    # The sums per path and status, from which the proactive figures are read.
    by_path_and_status: Mapping[tuple[str, str], Sums] = field(default_factory=dict)


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
    return and_(True, *conditions, *_regime_and_operator(wanted, session, regime, operator_id))


def days_in(wanted: ReportFilter, session: Session,
            table: type[EffortDay] | type[EffortDriverDay] | type[EffortTimeDay]
            | type[UnclaimedDay] | type[MoneyTimeDay] = EffortDay) -> ColumnElement[bool]:
    """The same filter on the days' sums (effort_days, effort_driver_days,
    effort_time_days, unclaimed_days)."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.start:
        conditions.append(table.day >= wanted.start)
    if wanted.end:
        conditions.append(table.day <= wanted.end)
    return and_(True, *conditions,
                *_regime_and_operator(wanted, session, table.regime, table.operator_id))


def operator_and_regime_in(wanted: ReportFilter, session: Session,
                           table: type[MoneyTimeMonth]) -> ColumnElement[bool]:
    """The filter's operator and regime, on sums kept per month (money_time_months)."""
    return and_(True, *_regime_and_operator(wanted, session, table.regime, table.operator_id))


def _regime_and_operator(wanted: ReportFilter, session: Session, regime: Any,
                         operator_id: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.regime:
        conditions.append(regime == wanted.regime)
    if wanted.operator:
        conditions.append(operator_id == _operator_id(session, wanted.operator))
    return conditions


def _operator_id(session: Session, slug: str) -> int:
    """The operator's id (-1: none such), looked up once per session: a report filters
    the records, the days' sums and the drivers' sums on it."""
    known: dict[str, int] = session.info.setdefault("operator_ids", {})
    if slug not in known:
        known[slug] = session.scalar(select(Operator.id).where(Operator.slug == slug)) or -1
    return known[slug]


def instant_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def report(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel) -> Report:
    with session_factory() as session:
        days, driver_days, time_days = (days_in(wanted, session),
                                        days_in(wanted, session, EffortDriverDay),
                                        days_in(wanted, session, EffortTimeDay))

    # Independent reads, at once on one snapshot where the tables are large: the days'
    # sums, the times' buckets, the drivers and the started forms each on a core.
    reads: list[Callable[[Session], Any]] = [
        lambda session: add_up(list(session.execute(grouped_query(days)))),
        lambda session: percentiles_by_measure(session.execute(buckets_query(time_days))),
        lambda session: _driver_sums(session, driver_days),
        lambda session: _abandonment(session, wanted)]
    grouped, times, driver_sums, (started, abandoned) = read_at_once(
        session_factory, reads, scanning=StartedClaim.__tablename__)
    drivers = _drivers(driver_sums, model, grouped.touchless)
    total = grouped.total
    return Report(
        claims=total.claims,
        straight_through_decision=total.touchless / total.decided if total.decided else None,
        straight_through_payout=total.touchless_paid / total.paid if total.paid else None,
        decision_time=Times(*times.get("decision", NO_TIMES)),
        payout_time=Times(*times.get("payout", NO_TIMES)),
        queue_time=Times(*times.get("queue", NO_TIMES)),
        paths=_paths(grouped.by_path, model), drivers=drivers,
        weeks=_weeks(grouped.by_week, model, wanted), started=started, abandoned=abandoned,
        total_cost=model.cost(total.clerk_seconds, total.jobs, total.paid), cost_model=model,
        first_day=_day_of(grouped.first), last_day=_day_of(grouped.last),
        by_path_and_status=grouped.by_path_and_status)


def claim_period(session_factory: SessionFactory,
                 wanted: ReportFilter) -> tuple[date | None, date | None]:
    """The first and last day a claim in the filter was filed."""
    with session_factory() as session:
        first, last = session.execute(select(func.min(EffortDay.first_at),
                                             func.max(EffortDay.last_at))
                                      .where(days_in(wanted, session))).one()
        return _day_of(first), _day_of(last)


def _day_of(value: Any) -> date | None:
    """min()/max() of a timestamp: a datetime on PostgreSQL, text on SQLite."""
    if value is None:
        return None
    return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).date()



def _paths(by_path: dict[str, Sums], model: CostModel) -> tuple[PathFigures, ...]:
    figures = []
    for path, sums in by_path.items():
        n, answers = sums.claims, sums.ces_answers
        figures.append(PathFigures(
            path=path, claims=n, typed_fields=sums.typed_fields / n,
            active_minutes=sums.active_seconds / n / 60, contacts=sums.contacts / n,
            info_requests=sums.info_requests / n, clerk_minutes=sums.clerk_seconds / 60 / n,
            cost=model.cost(sums.clerk_seconds, sums.jobs, sums.paid) / n,
            ces_mean=sums.ces_total / answers if answers else None,
            ces_top_box=sums.ces_top_box / answers if answers else None,
            ces_answers=answers))
    return tuple(sorted(figures, key=lambda f: PATHS.index(f.path) if f.path in PATHS else 9))


def _driver_sums(session: Session, days: ColumnElement[bool]) -> Sequence[Any]:
    """Per driver and number of drivers of the claims: the claims, their clerk seconds,
    jobs, payouts and active seconds."""
    sums = EffortDriverDay
    rows = session.execute(select(sums.driver, sums.drivers, *(
        func.sum(column) for column in (
            sums.claims, sums.clerk_seconds, sums.jobs, sums.paid, sums.active_seconds)))
        .where(days).group_by(sums.driver, sums.drivers)).all()
    # Whole numbers (PostgreSQL sums a BIGINT column as a NUMERIC).
    return [(driver, *(int(value) for value in values)) for driver, *values in rows]


def _drivers(rows: Sequence[Any], model: CostModel, touchless: Sums) -> tuple[Driver, ...]:
    """Cost of complexity per driver (effort.md: what its claims cost beyond the mean
    touchless claim), with each claim's extra cost shared equally among its drivers: a
    claim with a reason and a typed field counts half to each. So the drivers add up to
    the extra cost of the claims, never to more (counted whole, a claim with two drivers
    counted twice, and the drivers added up to more than the total cost). Passenger
    minutes likewise. Negative: the claims cost less than a touchless claim (still
    waiting for a clerk, or not paid out). Ranked, largest first (Pareto)."""
    touchless_n = touchless.claims
    touchless_cost = model.cost(touchless.clerk_seconds, touchless.jobs, touchless.paid) \
        / touchless_n if touchless_n else Decimal(0)
    touchless_active = (touchless.active_seconds / touchless_n / 60) if touchless_n else 0.0
    totals: dict[str, list[Any]] = {}
    for driver, shared_by, n, clerk_s, jobs, paid, active in rows:
        total = totals.setdefault(driver, [0, Decimal(0), Decimal(0), 0.0])
        cost = model.cost(clerk_s, jobs, paid)
        extra = cost - touchless_cost * n
        with localcontext() as context:
            # Rounded down: k shares of a claim never add up to more than its cost.
            context.rounding = ROUND_FLOOR
            share = extra / shared_by
        total[0] += n
        total[1] += cost
        total[2] += share
        total[3] += (active / 60 - touchless_active * n) / shared_by
    drivers = [Driver(driver, n, cost / n, share, minutes)
               for driver, (n, cost, share, minutes) in totals.items()]
    return tuple(sorted(drivers, key=lambda d: (-d.cost_of_complexity, d.driver)))


def _weeks(by_week: dict[date, Sums], model: CostModel, wanted: ReportFilter,
           today: date | None = None) -> tuple[Week, ...]:
    today = today or datetime.now(UTC).date()
    return tuple(Week(day, sums.claims,
                      sums.touchless / sums.decided if sums.decided else None,
                      model.cost(sums.clerk_seconds, sums.jobs, sums.paid) / sums.claims,
                      sums.ces_total / sums.ces_answers if sums.ces_answers else None,
                      complete=week_complete(day, wanted, today))
                 for day, sums in sorted(by_week.items()))


def week_complete(monday: date, wanted: ReportFilter, today: date) -> bool:
    """The week is over and the report's period holds all of it: a week the period cuts,
    or the current one, holds fewer claims than a whole week and would skew a trend."""
    sunday = monday + timedelta(days=6)
    return (sunday < today and (wanted.start is None or wanted.start <= monday)
            and (wanted.end is None or sunday <= wanted.end))


def _abandonment(session: Session, wanted: ReportFilter) -> tuple[int, int]:
    """Claims started (the claim form opened, or the form without a booking) and how many
    of them were never filed."""
    started = select(func.count(), summed(StartedClaim.filed))
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
class Reconciled:
    """How the what-if's "today" cost follows from the report's total cost of the same
    claims: today = report - left out + estimated."""

    report_cost: Decimal      # the report's total cost, for the same filter
    left_out_claims: int      # without a booking (always a clerk's), or not yet assessed
    left_out_cost: Decimal
    waiting_claims: int       # still waiting for a clerk: their clerk time estimated
    estimated_cost: Decimal


@dataclass(frozen=True)
class WhatIf:
    today: Scenario
    changed: Scenario
    claims_freed: int     # from a clerk to straight through
    claims_added: int     # from straight through to a clerk
    moves: tuple[Move, ...] = ()
    clerk_minutes_per_claim: float = 0.0  # measured today; the estimate for waiting claims
    reconciled: Reconciled | None = None


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
        replayed = and_(E.status.in_(ASSESSED), E.path != "no-booking")
        every = [(bool(replay), _Group(*row)) for replay, *row in session.execute(select(
            func.coalesce(replayed, False),
            E.reason_codes, E.touchless_decision, func.coalesce(over, False),
            func.coalesce(E.clerk_seconds, 0) > 0, func.count(),
            summed(E.clerk_seconds), summed(E.jobs), summed(E.paid), summed(E.info_requests),
            summed(E.active_seconds), summed(E.contacts))
            .where(where)
            # By position: the limit's bound parameter would make PostgreSQL see the
            # grouped expression as another one than the selected.
            .group_by(text("1"), text("2"), text("3"), text("4"), text("5")))]
    rows = [group for replay, group in every if replay]
    left_out = [group for replay, group in every if not replay]
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
    waiting = [g for g in rows if not g.touchless and not g.handled]
    rows = [g._replace(clerk_seconds=per_clerk_claim * g.claims)
            if not g.touchless and not g.handled else g for g in rows]
    today = _scenario(rows, model, claims)
    reconciled = Reconciled(
        report_cost=_cost_of(model, [group for _replay, group in every]),
        left_out_claims=sum(g.claims for g in left_out), left_out_cost=_cost_of(model, left_out),
        waiting_claims=sum(g.claims for g in waiting),
        estimated_cost=model.cost(Decimal(per_clerk_claim) * sum(g.claims for g in waiting)
                                  - Decimal(sum(g.clerk_seconds for g in waiting)), 0, 0))
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
                  moves, per_clerk_claim / 60, reconciled)


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


def _cost_of(model: CostModel, groups: Sequence[_Group]) -> Decimal:
    """What the claims cost as they are, as the report counts it."""
    return model.cost(sum(int(g.clerk_seconds) for g in groups), sum(g.jobs for g in groups),
                      sum(g.paid for g in groups))


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


# A claim's cost in the CSV: to a millionth of a cent, so that a BI tool's sum of a
# million claims is the report's total to the cent (a clerk second at 42.00 an hour is
# 0.011666... and has no exact decimal).
CSV_COST_PLACES = Decimal("0.00000001")


def effort_rows(session_factory: SessionFactory, wanted: ReportFilter, model: CostModel,
                chunk: int = 5000) -> Any:
    """Every effort record in the filter, for the CSV export, streamed in chunks: the
    operator by its slug (an id means nothing in a BI tool), the amount with its currency
    (operators pay in EUR and GBP), and each claim's cost by the report's cost model, in
    its currency."""
    columns = [c for c in E.__table__.columns if c.name != "operator_id"]
    with session_factory() as session:
        where = records_in(wanted, session)
        yield ["claim_id", "operator", *(c.name for c in columns if c.name != "claim_id"),
               "currency", "cost", "cost_currency"]
        last = 0
        while True:
            batch = session.execute(
                select(E.claim_id, Operator.slug,
                       *(c for c in columns if c.name != "claim_id"), Claim.currency)
                .join(Operator, Operator.id == E.operator_id)
                .outerjoin(Claim, Claim.id == E.claim_id)
                .where(where, E.claim_id > last).order_by(E.claim_id).limit(chunk)).all()
            if not batch:
                return
            for row in batch:
                cost = model.cost(row.clerk_seconds or 0, row.jobs or 0, int(bool(row.paid)))
                yield [*row, cost.quantize(CSV_COST_PLACES), model.currency]
            last = batch[-1][0]
