"""Reports bench: create N claims (default 1,000,000) with their bookings and events as the
portal writes them, build the effort records from the events, and print how long each
report takes: each section, and the pages a manager opens (the report, its PDF, the
what-if), for one operator's claims and for all.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test .venv/bin/python bench/reports.py

The event mix: every claim is looked up, its form shown and filed and assessed; 85 % are
decided by the rules, 15 % by a clerk (some after asking for a detail); 80 % are paid; a
third answer the CES question; 5 % more bookings are looked up and never claimed. Every
booking's journey was checked against the operations data (proactive mode off): the
report's unclaimed journeys are the eligible ones among them with no claim.

Every paid claim is a transfer in its operator's daily payout run (file written at 05:00
UTC), its time to money kept as the payout code keeps it; the bank's status report comes
18-30 hours after each file and confirms 97 % of its transfers, 2 % a few days later, and
returns 1 %. The time-to-money read is timed for each filter, and for a period that cuts
two months, beside the read of the day buckets alone (as before migration 0029)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import describe, isolated_setup
from claims.core.names import name_key
from claims.db.bulk import insert_many, reserve_ids
from claims.db.models import (
    Booking,
    Claim,
    ClaimEvent,
    JourneyCheck,
    MoneyTimeDay,
    MoneyTimeMonth,
    Payout,
    PayoutRun,
    User,
)
from claims.db.unclaimed_due import note_checked
from claims.operators import accounts
from claims.processing import money_times
from claims.reporting import effort_catch_up
from claims.reporting.money_report import time_to_money
from claims.reporting.proactive_report import proactive_figures
from claims.reporting.reports import ReportFilter, report, what_if
from portal import create_app

START = datetime(2026, 5, 25, tzinfo=UTC)
WEEKS = 26
CHUNK = 50_000
# Every booking's passenger and the key the look-up matches (written beside the name, as
# imports do).
PASSENGER = "Bench Passenger"
PASSENGER_KEY = name_key(PASSENGER)
RUN_HOUR = 5  # the daily payout run writes its file then (UTC)
REASONS = ("passenger-statement", "no-operations-data", "missed-connection",
           "amount-over-limit", "possible-duplicate", "cancelled")


def _rows(rng: random.Random, operator_id: int, booking_id: int, claim_id: int | None,
          clerk_id: int) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]],
                                  dict[str, Any], datetime | None]:
    at = START + timedelta(seconds=rng.randrange(WEEKS * 7 * 86400))
    booking = {"id": booking_id, "operator_id": operator_id, "reference": f"R{booking_id}",
               "regime": "eu-rail", "passenger_name": PASSENGER,
               "passenger_name_key": PASSENGER_KEY,
               "fare_amount": Decimal("59.90"), "fare_currency": "EUR",
               "fare_kind": "single"}
    events: list[dict[str, Any]] = []
    check = {"booking_id": booking_id, "direction": "outbound", "operator_id": operator_id,
             "regime": "eu-rail", "outcome": "off", "eligible": rng.random() < 0.8,
             "amount": Decimal("14.98"), "currency": "EUR", "arrived_at": at,
             "checked_at": at - timedelta(hours=1)}

    def event(offset: float, kind: str, actor: str = "passenger", on_claim: bool = True,
              actor_id: int | None = None, **counts: Any) -> None:
        events.append({"claim_id": claim_id if on_claim else None, "booking_id": booking_id,
                       "at": at + timedelta(seconds=offset), "actor": actor,
                       "actor_id": actor_id, "kind": kind, "counts": counts})

    event(0, "booking_found", on_claim=False)
    event(5, "claim_form_shown", on_claim=False, fields_shown=4, fields_prefilled=2)
    if claim_id is None:
        return booking, None, events, check, None
    statement = rng.random() < 0.1
    event(40, "claim_submitted", fields_typed=int(statement), fields_changed=0,
          fields="statement" if statement else "")
    event(41, "assessment_started", "system")
    human = statement or rng.random() < 0.06
    reasons = ("passenger-statement" if statement else rng.choice(REASONS)) if human else None
    event(41, "claim_decided", "system")
    decided = at + timedelta(seconds=41)
    status, amount = ("approved", Decimal("14.98")) if rng.random() < 0.7 else \
        ("rejected", Decimal("0.00"))
    if human:
        taken = rng.randrange(600, 3 * 86400)
        event(taken, "claim_taken", "clerk", actor_id=clerk_id, handover=0)
        event(taken, "work_started", "clerk", actor_id=clerk_id)
        if rng.random() < 0.2:
            event(taken + 120, "info_requested", "clerk", actor_id=clerk_id, items=1,
                  asked="statement")
            event(taken + 120, "work_ended", "clerk", actor_id=clerk_id, seconds=120)
            taken += rng.randrange(3600, 86400)
            event(taken, "info_provided")
            event(taken + 60, "work_started", "clerk", actor_id=clerk_id)
        work = rng.randrange(60, 900)
        event(taken + work, "claim_decided", "clerk", actor_id=clerk_id)
        event(taken + work, "work_ended", "clerk", actor_id=clerk_id, seconds=work)
        decided = at + timedelta(seconds=taken + work)
    event((decided - at).total_seconds() + 1, "decision_mailed", "system")
    paid_at = None
    if status == "approved" and rng.random() < 0.9:
        paid = (decided - at).total_seconds() + rng.randrange(3600, 3 * 86400)
        event(paid, "claim_paid", "system")
        status = "paid"
        paid_at = at + timedelta(seconds=paid)
    ces = rng.randint(1, 7) if rng.random() < 0.33 else None
    if ces is not None:
        event((decided - at).total_seconds() + 120, "survey_answered", score=ces)
    if rng.random() < 0.3:
        event((decided - at).total_seconds() + 300, "status_viewed")
    claim = {"id": claim_id, "booking_id": booking_id, "operator_id": operator_id,
             "regime": "eu-rail", "status": status, "language": "de",
             "passenger_name": PASSENGER, "submitted_at": at + timedelta(seconds=40),
             "decided_at": decided, "amount": amount, "currency": "EUR",
             "reason_codes": [reasons] if reasons else None, "payout_method": "account",
             "ces_score": ces,
             "eligible": status != "rejected"}
    return booking, claim, events, check, paid_at


def create(setup: Any, claims: int, seed: int) -> list[tuple[int, datetime]]:
    """The claims, bookings, events and journey checks; returns the paid claims and when
    they were paid."""
    rng = random.Random(seed)
    factory = setup.runtime.session_factory
    accounts.create_user(factory, f"clerk-{setup.operator}@bench.example", "clerk",
                         "bench-password-1")
    bookings = int(claims * 1.05)
    payments: list[tuple[int, datetime]] = []
    with factory.begin() as session:
        clerk_id = session.query(User.id).order_by(User.id.desc()).first()[0]  # type: ignore[index]
        booking_ids = reserve_ids(session, Booking, bookings)
        claim_ids = reserve_ids(session, Claim, claims)
    for start in range(0, bookings, CHUNK):
        rows: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
        for index in range(start, min(start + CHUNK, bookings)):
            claim_id = claim_ids[index] if index < claims else None
            booking, claim, events, check, paid_at = _rows(
                rng, setup.operator_id, booking_ids[index], claim_id, clerk_id)
            rows[0].append(booking)
            if claim:
                rows[1].append(claim)
            if claim_id is not None and paid_at is not None:
                payments.append((claim_id, paid_at))
            rows[2].extend(events)
            rows[3].append(check)
        with factory.begin() as session:
            insert_many(session, Booking, rows[0])
            insert_many(session, Claim, rows[1])
            insert_many(session, ClaimEvent, rows[2])
            insert_many(session, JourneyCheck, rows[3])
            # As the proactive check notes them: the catch-up adds these days up.
            note_checked(session, [row["checked_at"] for row in rows[3]])
    return payments


def _run_time(paid_at: datetime) -> datetime:
    """The first daily payout run after the claim was approved for payment."""
    run = paid_at.replace(hour=RUN_HOUR, minute=0, second=0, microsecond=0)
    return run if run > paid_at else run + timedelta(days=1)


def pay(setup: Any, payments: list[tuple[int, datetime]], seed: int) -> None:
    """Each paid claim's transfer in its daily run, the file's time to money kept, and
    the bank's feedback applied to the buckets as bank feedback applies it."""
    rng = random.Random(seed)
    factory = setup.runtime.session_factory
    runs: dict[datetime, list[int]] = {}
    for claim_id, paid_at in payments:
        runs.setdefault(_run_time(paid_at), []).append(claim_id)
    amount = Decimal("14.98")
    with factory.begin() as session:
        run_ids = dict(zip(sorted(runs), reserve_ids(session, PayoutRun, len(runs)),
                           strict=True))
        insert_many(session, PayoutRun, [
            {"id": run_ids[written], "operator_id": setup.operator_id,
             "created_at": written - timedelta(minutes=5), "transfers": len(runs[written]),
             "vouchers": 0, "total": amount * len(runs[written]), "currency": "EUR",
             "file_name": f"bench-run-{run_ids[written]:06d}.xml", "file_written_at": written}
            for written in sorted(runs)])
    for written in sorted(runs):
        with factory.begin() as session:
            insert_many(session, Payout, [
                {"claim_id": claim_id, "part": 0, "run_id": run_ids[written],
                 "method": "account", "amount": amount, "currency": "EUR",
                 "created_at": written - timedelta(minutes=5)}
                for claim_id in runs[written]])
            money_times.record_file_written(session, run_ids[written], written)
    # The bench's "now": half a day after the last file, whose feedback is not in yet.
    now = max(runs) + timedelta(hours=12)
    for written in sorted(runs):
        with factory.begin() as session:
            ids = list(session.scalars(select(Payout.id).where(
                Payout.run_id == run_ids[written])))
            rng.shuffle(ids)
            returned, late = ids[:len(ids) // 100], ids[len(ids) // 100:len(ids) * 3 // 100]
            on_time = ids[len(returned) + len(late):]
            for confirmed, at in ((on_time, written + timedelta(hours=rng.uniform(18, 30))),
                                  (late, written + timedelta(days=rng.uniform(3, 5)))):
                if at < now:
                    session.execute(update(Payout).where(Payout.id.in_(confirmed))
                                    .values(confirmed_at=at))
                    money_times.record_confirmed(session, confirmed, at)
            if written + timedelta(days=2) < now:
                money_times.record_returned(session, returned)
                session.execute(update(Payout).where(Payout.id.in_(returned)).values(
                    returned_at=written + timedelta(days=2), return_code="AC04"))


def _days_only(factory: Any, wanted: ReportFilter) -> None:
    """The read before migration 0029: every day bucket of the period, grouped."""
    with factory() as session:
        conditions = []
        if wanted.start:
            conditions.append(MoneyTimeDay.day >= wanted.start)
        if wanted.end:
            conditions.append(MoneyTimeDay.day <= wanted.end)
        session.execute(select(MoneyTimeDay.operator_id, MoneyTimeDay.path,
                               MoneyTimeDay.measure, MoneyTimeDay.bucket,
                               func.sum(MoneyTimeDay.payouts), func.sum(MoneyTimeDay.seconds))
                        .where(*conditions)
                        .group_by(MoneyTimeDay.operator_id, MoneyTimeDay.path,
                                  MoneyTimeDay.measure, MoneyTimeDay.bucket)).all()


def _money_lines(setup: Any) -> list[str]:
    factory = setup.runtime.session_factory
    with factory() as session:
        days, months = (session.scalar(select(func.count()).select_from(table))
                        for table in (MoneyTimeDay, MoneyTimeMonth))
    lines = [f"  time to money: {days} day-bucket rows, {months} month-bucket rows"]
    cut = (START + timedelta(weeks=3)).date()
    for label, wanted in (("one operator", ReportFilter(operator=setup.operator)),
                          ("all claims", ReportFilter()),
                          ("one operator, 4 weeks", ReportFilter(
                              operator=setup.operator, start=START.date(),
                              end=(START + timedelta(weeks=4)).date())),
                          ("cutting two months", ReportFilter(
                              start=cut, end=cut + timedelta(weeks=WEEKS - 5)))):
        rows, seconds = _timed(lambda w=wanted: time_to_money(factory, w))
        _, days_only = _timed(lambda w=wanted: _days_only(factory, w))
        lines.append(
            f"  time to money, {label:<15} {seconds:6.2f} s  (days only: {days_only:.2f} s; "
            + "; ".join(f"{row.path}: {row.payouts} paid, {row.confirmed} confirmed, "
                        f"p50 {row.times['file'].p50 / 3600:.1f} h / "
                        f"{row.times['confirmed'].p50 / 3600:.1f} h"
                        for row in rows if 'confirmed' in row.times) + ")")
    return lines


@contextmanager
def _statements_timed(engine: Any) -> Iterator[Callable[[], str]]:
    """The bench's own measurement of where a report spends its time: each SQL statement
    timed at the cursor, so the domain's results carry no timings."""
    durations: list[tuple[float, str]] = []
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        durations.append((time.perf_counter() - started.pop(), " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield lambda: ", ".join(f"{seconds:.2f} s {text[:40]}..."
                                for seconds, text in sorted(durations, reverse=True)[:3])
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="effort builder processes (default: one per core)")
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        factory = setup.runtime.session_factory
        payments, created = _timed(lambda: create(setup, arguments.claims, arguments.seed))
        _, paid = _timed(lambda: pay(setup, payments, arguments.seed))
        if setup.runtime.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load: statistics for the planner.
            with setup.runtime.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        built, refreshed = _timed(lambda: effort_catch_up.refresh_all(
            factory, settle=timedelta(0), processes=arguments.processes))
        app = create_app({k: v for k, v in setup.environment.items()
                          if k in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY",
                                   "RATELIMIT_ENABLED")})
        accounts.create_user(factory, f"boss-{setup.operator}@bench.example", "manager",
                             "bench-password-1")
        from portal.reports.views import cost_model

        with app.app_context():
            model = cost_model()
        lines = []
        for label, wanted in (("one operator", ReportFilter(operator=setup.operator)),
                              ("all claims", ReportFilter()),
                              ("one operator, 4 weeks", ReportFilter(
                                  operator=setup.operator, start=START.date(),
                                  end=(START + timedelta(weeks=4)).date()))):
            with _statements_timed(setup.runtime.engine) as slowest:
                figures, seconds = _timed(lambda w=wanted: report(factory, w, model))
            lines.append(f"  report, {label:<22} {seconds:6.2f} s  ({figures.claims} claims; "
                         f"slowest statements: {slowest()})")
            proactive, seconds = _timed(lambda w=wanted, f=figures: proactive_figures(
                factory, w, f.by_path_and_status))
            lines.append(f"  proactive, {label:<19} {seconds:6.2f} s  ({proactive.unclaimed} "
                         "eligible journeys unclaimed)")
            _, seconds = _timed(lambda w=wanted: what_if(
                factory, w, model, auto_approve_limit=Decimal("10.00"),
                rules_off=["passenger-statement"]))
            lines.append(f"  what-if, {label:<21} {seconds:6.2f} s")
        lines.extend(_money_lines(setup))
        client = app.test_client()
        page = client.get("/clerk/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/clerk/login", data={"csrf_token": token,
                                          "email": f"boss-{setup.operator}@bench.example",
                                          "password": "bench-password-1"})
        query = f"operator={setup.operator}"
        for path in ("/reports/", f"/reports/?{query}", f"/reports/report.pdf?{query}",
                     f"/reports/what-if?{query}&limit=10&off=passenger-statement"):
            response, seconds = _timed(lambda p=path: client.get(p))
            lines.append(f"  GET {path:<60} {seconds:6.2f} s  ({response.status_code}, "
                         f"{len(response.data) // 1024} KB)")
        app.extensions["effortless"].close()
    print(f"bench/reports.py: {arguments.claims} claims with their events created in "
          f"{created:.0f} s, their {len(payments)} payments and the bank's feedback in "
          f"{paid:.0f} s; {built} effort records built from the events in "
          f"{refreshed:.0f} s; {describe(setup)}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
