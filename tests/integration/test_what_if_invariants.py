"""The what-if's and the report's invariants on the real database (SQLite keeps amounts as
text, PostgreSQL as NUMERIC), over effort records hypothesis writes: the policy in force
changes nothing, a higher auto-approve limit never sends a claim to a clerk, every share
is a share, the drivers' costs never add up to more than the total cost (each claim's
extra cost shared among its drivers), and the what-if's "today" is the report's total
cost, less the claims it leaves out, plus the clerk time it estimates (issue 44)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from claims.db.models import (
    Claim,
    ClaimEffort,
    EffortDay,
    EffortDriver,
    EffortDriverDay,
    EffortTimeDay,
    Operator,
)
from claims.reporting import effort_days
from claims.reporting.reports import (
    CSV_COST_PLACES,
    CostModel,
    ReportFilter,
    effort_rows,
    report,
    week_complete,
    what_if,
)
from tests.helpers import create_operator

MODEL = CostModel(clerk_per_hour=Decimal("36.00"), per_job=Decimal("0.01"),
                  per_payout=Decimal("0.50"))
LIMIT = Decimal("600.00")
OVER_LIMIT = "amount-over-limit"
# Amounts of every length, as text they sort otherwise than as numbers: 99.50 < 1000.
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
OTHER_REASONS = st.sets(st.sampled_from(["passenger-statement", "missed-connection"]),
                        max_size=2)
CLAIMS = st.lists(st.tuples(AMOUNTS, OTHER_REASONS, st.booleans()), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=CLAIMS, limits=st.lists(AMOUNTS, min_size=2, max_size=4))
def test_the_policy_in_force_changes_nothing_and_a_higher_limit_frees_only(
        app: Flask, claims: list[tuple[Decimal, set[str], bool]],
        limits: list[Decimal]) -> None:
    factory = app.extensions["effortless"].session_factory
    _write_records(app, claims)

    today = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=LIMIT, rules_off=[])
    assert (today.claims_freed, today.claims_added) == (0, 0)
    assert today.changed == today.today

    straight_through = []
    for limit in sorted(limits):
        changed = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=limit,
                          rules_off=[])
        for scenario in (changed.today, changed.changed):
            assert scenario.straight_through is not None
            assert 0 <= scenario.straight_through <= 1
        # Decided by the amount alone, as the policy does with the limit.
        expected = sum(1 for amount, reasons, _handled in claims
                       if not reasons and amount <= limit)
        assert changed.changed.straight_through == expected / len(claims)
        straight_through.append(changed.changed.straight_through)
    assert straight_through == sorted(straight_through)  # a higher limit frees, never adds


@dataclass(frozen=True)
class Made:
    """One claim as hypothesis makes it, decided under LIMIT: over it, or with other
    reasons, or without a booking, a clerk's; else straight through."""

    amount: Decimal
    reasons: frozenset[str]
    handled: bool = False        # a clerk has worked on it (else it still waits)
    no_booking: bool = False     # filed without a booking: always a clerk's
    assessed: bool = True        # the rules have run (else: submitted, not yet)
    paid: bool = False
    typed_iban: bool = False     # a driver a touchless claim may have too
    clerk_seconds: int = 300
    jobs: int = 1
    active_seconds: int = 60
    day: int = 20

    @property
    def all_reasons(self) -> list[str]:
        return sorted(self.reasons | ({OVER_LIMIT} if self.amount > LIMIT else set()))

    @property
    def touchless(self) -> bool:
        return self.assessed and not self.no_booking and not self.all_reasons

    @property
    def drivers(self) -> set[str]:
        drivers = {f"reason:{code}" for code in self.all_reasons}
        if "passenger-statement" in self.reasons and self.handled:
            drivers.add("asked:statement")  # a claim of two drivers: its cost shared
        if self.typed_iban:
            drivers.add("field:iban")
        return drivers


def _write_records(app: Flask, claims: list[tuple[Decimal, set[str], bool]]) -> None:
    _write(app, [Made(amount, frozenset(reasons), handled)
                 for amount, reasons, handled in claims])


def _write(app: Flask, claims: list[Made]) -> None:
    """The claims' effort records and drivers, and their days added up as the store does."""
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        if session.scalar(select(Operator.id)) is None:
            create_operator(app)
    with factory.begin() as session:
        operator_id = session.scalar(select(Operator.id))
        for table in (EffortDriver, EffortDriverDay, EffortDay, EffortTimeDay, ClaimEffort,
                      Claim):
            session.execute(delete(table))
        ids = []
        for made in claims:
            submitted = datetime(2026, 11, made.day, 12, 0, tzinfo=UTC)
            touchless = made.touchless
            status = ("submitted" if not made.assessed else
                      "paid" if made.paid and (touchless or made.handled) else
                      "approved" if touchless or made.handled else "needs_review")
            claim = Claim(operator_id=operator_id, regime="eu-rail", status=status,
                          passenger_name="Hand Made", submitted_at=submitted)
            session.add(claim)
            session.flush()
            ids.append(claim.id)
            reasons = made.all_reasons
            session.execute(insert(ClaimEffort).values(
                claim_id=claim.id, operator_id=operator_id, regime="eu-rail",
                path=("no-booking" if made.no_booking else
                      "touchless" if touchless else "clerk"), status=status,
                submitted_at=submitted, touchless_decision=touchless,
                touchless_payout=touchless and status == "paid", paid=status == "paid",
                amount=made.amount, fields_shown=4, fields_prefilled=2, fields_typed=1,
                fields_changed=0, active_seconds=made.active_seconds, validation_errors=0,
                submit_attempts=1, uploads=0, info_requests=0, contacts=0, appeals=0,
                clerk_seconds=made.clerk_seconds if made.handled and not touchless else 0,
                touches=0, clerks=0, handovers=0, jobs=made.jobs, last_event_id=0,
                reason_codes=" ".join(reasons) or None))
            for driver in sorted(made.drivers):
                session.execute(insert(EffortDriver).values(claim_id=claim.id, driver=driver))
        effort_days.roll_up(session, ids)


# Decimal works to 28 digits: a rate such as 42.00 an hour is 0.011666... a second.
ROUNDING = Decimal("1e-20")
MADE = st.builds(
    Made, amount=AMOUNTS, reasons=OTHER_REASONS.map(frozenset), handled=st.booleans(),
    no_booking=st.booleans(), assessed=st.booleans(), paid=st.booleans(),
    typed_iban=st.booleans(), clerk_seconds=st.integers(1, 3600), jobs=st.integers(1, 6),
    active_seconds=st.integers(0, 900), day=st.integers(2, 29))
MODELS = st.builds(CostModel, clerk_per_hour=st.sampled_from(
    [Decimal("36.00"), Decimal("42.00"), Decimal("37.50")]),
    per_job=st.sampled_from([Decimal("0.01"), Decimal("0.002")]),
    per_payout=st.sampled_from([Decimal("0.50"), Decimal("0.15")]))


def _cost(model: CostModel, made: Made) -> Decimal:
    clerk = made.clerk_seconds if made.handled and not made.touchless else 0
    paid = made.assessed and made.paid and (made.touchless or made.handled)
    return model.cost(clerk, made.jobs, int(paid))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=st.lists(MADE, min_size=1, max_size=12), model=MODELS)
def test_the_drivers_never_add_up_to_more_than_the_total_and_shares_are_shares(
        app: Flask, claims: list[Made], model: CostModel) -> None:
    factory = app.extensions["effortless"].session_factory
    _write(app, claims)
    figures = report(factory, ReportFilter(), model)

    # By hand: the total cost, and each claim's extra cost over the mean touchless claim.
    total = sum((_cost(model, made) for made in claims), Decimal(0))
    assert abs(figures.total_cost - total) <= ROUNDING
    touchless = [_cost(model, made) for made in claims if made.touchless]
    baseline = sum(touchless, Decimal(0)) / len(touchless) if touchless else Decimal(0)
    extra = sum((_cost(model, made) - baseline for made in claims if made.drivers),
                Decimal(0))
    drivers = figures.drivers
    # Shared, each claim counts once: the drivers add up to the claims' extra cost ...
    assert abs(sum((d.cost_of_complexity for d in drivers), Decimal(0)) - extra) <= ROUNDING
    # ... and whatever of them a headline adds up, never to more than the total cost.
    positive = sum((d.cost_of_complexity for d in drivers if d.cost_of_complexity > 0),
                   Decimal(0))
    assert positive <= figures.total_cost + ROUNDING
    for driver in drivers:
        assert 0 < driver.claims <= figures.claims

    shares = [figures.straight_through_decision, figures.straight_through_payout,
              *(w.straight_through for w in figures.weeks),
              *(p.ces_top_box for p in figures.paths)]
    assert all(0 <= share <= 1 for share in shares if share is not None)
    if figures.started:
        assert 0 <= figures.abandoned <= figures.started

    # The CSV for a BI tool: each claim's cost by the same model adds up to the total.
    header, *rows = list(effort_rows(factory, ReportFilter(), model))
    exported = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(exported) == len(claims)
    assert {row["operator"] for row in exported} == {"test-rail"}
    assert abs(sum(Decimal(row["cost"]) for row in exported) - figures.total_cost) \
        <= CSV_COST_PLACES * len(claims)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=st.lists(MADE, min_size=1, max_size=12), model=MODELS,
       limit=st.one_of(st.none(), AMOUNTS),
       off=st.sets(st.sampled_from(["passenger-statement", "missed-connection", OVER_LIMIT])))
def test_the_what_ifs_today_is_the_report_less_what_it_leaves_out_plus_its_estimate(
        app: Flask, claims: list[Made], model: CostModel, limit: Decimal | None,
        off: set[str]) -> None:
    factory = app.extensions["effortless"].session_factory
    _write(app, claims)
    figures = report(factory, ReportFilter(), model)
    result = what_if(factory, ReportFilter(), model, auto_approve_limit=limit,
                     rules_off=sorted(off))
    reconciled = result.reconciled
    assert reconciled is not None
    assert reconciled.report_cost == figures.total_cost
    # Left out: the claims without a booking and those not yet assessed, by hand.
    left_out = [made for made in claims if made.no_booking or not made.assessed]
    assert reconciled.left_out_claims == len(left_out)
    assert abs(reconciled.left_out_cost
               - sum((_cost(model, made) for made in left_out), Decimal(0))) <= ROUNDING
    waiting = [made for made in claims if made not in left_out and not made.touchless
               and not made.handled]
    assert reconciled.waiting_claims == len(waiting)
    assert abs(result.today.cost - (reconciled.report_cost - reconciled.left_out_cost
                                     + reconciled.estimated_cost)) <= Decimal("1e-9")
    if not waiting:
        assert reconciled.estimated_cost == 0
    for scenario in (result.today, result.changed):
        assert scenario.straight_through is None or 0 <= scenario.straight_through <= 1
    # Switching rules off and raising the limit only ever frees claims.
    if limit is None:
        assert result.claims_added == 0


@given(monday=st.dates(date(2026, 1, 5), date(2026, 12, 28)).map(
           lambda day: day - timedelta(days=day.weekday())),
       start=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 12, 31))),
       end=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 12, 31))),
       today=st.dates(date(2026, 1, 1), date(2027, 1, 31)))
def test_a_complete_week_is_over_and_wholly_in_the_period(
        monday: date, start: date | None, end: date | None, today: date) -> None:
    days = [monday + timedelta(days=n) for n in range(7)]
    in_period = all((start is None or start <= day) and (end is None or day <= end)
                    for day in days)
    assert week_complete(monday, ReportFilter(start=start, end=end), today) == (
        in_period and days[-1] < today)
