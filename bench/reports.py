"""Reports bench: create N claims (default 1,000,000) with their bookings and events as the
portal writes them, build the effort records from the events, and print how long each
report takes: each section, and the pages a manager opens (the report, its PDF, the
what-if), for one operator's claims and for all.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test .venv/bin/python bench/reports.py

The event mix: every claim is looked up, its form shown and filed and assessed; 85 % are
decided by the rules, 15 % by a clerk (some after asking for a detail); 80 % are paid; a
third answer the CES question; 5 % more bookings are looked up and never claimed. Every
booking's journey was checked against the operations data (proactive mode off): the
report's unclaimed journeys are the eligible ones among them with no claim."""

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

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import describe, isolated_setup
from claims.core.names import name_key
from claims.db.bulk import insert_many, reserve_ids
from claims.db.models import Booking, Claim, ClaimEvent, JourneyCheck, User
from claims.db.unclaimed_due import note_checked
from claims.operators import accounts
from claims.reporting import effort_store
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
REASONS = ("passenger-statement", "no-operations-data", "missed-connection",
           "amount-over-limit", "possible-duplicate", "cancelled")


def _rows(rng: random.Random, operator_id: int, booking_id: int, claim_id: int | None,
          clerk_id: int) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]],
                                  dict[str, Any]]:
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
        return booking, None, events, check
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
    if status == "approved" and rng.random() < 0.9:
        paid = (decided - at).total_seconds() + rng.randrange(3600, 3 * 86400)
        event(paid, "claim_paid", "system")
        status = "paid"
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
    return booking, claim, events, check


def create(setup: Any, claims: int, seed: int) -> None:
    rng = random.Random(seed)
    factory = setup.runtime.session_factory
    accounts.create_user(factory, f"clerk-{setup.operator}@bench.example", "clerk",
                         "bench-password-1")
    bookings = int(claims * 1.05)
    with factory.begin() as session:
        clerk_id = session.query(User.id).order_by(User.id.desc()).first()[0]  # type: ignore[index]
        booking_ids = reserve_ids(session, Booking, bookings)
        claim_ids = reserve_ids(session, Claim, claims)
    for start in range(0, bookings, CHUNK):
        rows: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
        for index in range(start, min(start + CHUNK, bookings)):
            claim_id = claim_ids[index] if index < claims else None
            booking, claim, events, check = _rows(rng, setup.operator_id, booking_ids[index],
                                                  claim_id, clerk_id)
            rows[0].append(booking)
            if claim:
                rows[1].append(claim)
            rows[2].extend(events)
            rows[3].append(check)
        with factory.begin() as session:
            insert_many(session, Booking, rows[0])
            insert_many(session, Claim, rows[1])
            insert_many(session, ClaimEvent, rows[2])
            insert_many(session, JourneyCheck, rows[3])
            # As the proactive check notes them: the catch-up adds these days up.
            note_checked(session, [row["checked_at"] for row in rows[3]])


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
        _, created = _timed(lambda: create(setup, arguments.claims, arguments.seed))
        if setup.runtime.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load: statistics for the planner.
            with setup.runtime.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        built, refreshed = _timed(lambda: effort_store.refresh_all(
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
          f"{created:.0f} s; {built} effort records built from the events in "
          f"{refreshed:.0f} s; {describe(setup)}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
