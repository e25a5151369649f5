"""Load test: Locust drives passengers (look-up, filing, polling their status page), a few
clerks working the queue and a manager reading the report against gunicorn and RQ workers
as in Production. Prints each page's requests, failures and p95 next to the goal (no
errors, p95 under 300 ms), and checks every claim filed was decided, none twice.

    .venv/bin/python bench/load.py                      # 300 users, 5 minutes
    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py --users 300 --minutes 5

Runs in a database and Redis database of its own (bench/common.py) and removes them.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.common import BIN, ROOT, Setup, describe, import_journeys, isolated_setup, processes
from bench.submit_claims import delayed_journeys
from claims.core.vocabulary import Actor, ClaimStatus, EventKind
from claims.db.models import Booking, Claim, ClaimEvent
from claims.operators import accounts
from claims.operators.imports import import_bookings
from claims.passengers import filing
from claims.processing.assessment import assess_claims

GOAL_P95_MS = 300
PASSWORD = "load-test-password-2026"
QUEUED_FOR_CLERKS = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument("--pace", choices=("people", "burst"), default="people",
                        help="people: passengers type and read as people do (5-10 s on the "
                        "start page, 5-20 s on the claim form, the status page refreshing "
                        "every second); burst: the four requests of a filing back to back, "
                        "a stress test (bench/load/locustfile.py)")
    parser.add_argument("--bookings", type=int, default=None,
                        help="bookings to file for (default: enough for the whole run)")
    arguments = parser.parse_args()
    if arguments.bookings is None:
        # A passenger files at most one claim every 5 s (a page, 1-4 s of thought, the
        # status page): 15 a minute each leaves room, so nobody runs out before the end.
        arguments.bookings = int(arguments.users * arguments.minutes * 15)

    with isolated_setup() as setup, tempfile.TemporaryDirectory() as scratch:
        factory = setup.runtime.session_factory
        bookings, operations = delayed_journeys(setup.operator, arguments.bookings)
        for booking in bookings:
            booking["reference"] = "L" + booking["reference"][1:]
        import_journeys(setup, bookings, operations)
        _queue_for_clerks(factory, setup, count=QUEUED_FOR_CLERKS)
        accounts.create_user(factory, "clerk@load.example", "clerk", PASSWORD)
        accounts.create_user(factory, "manager@load.example", "manager", PASSWORD)
        with processes(setup, workers=arguments.workers, web_workers=arguments.web_workers,
                       sweep_every=30) as port:
            environment = {**setup.environment, "LOAD_BOOKINGS": str(arguments.bookings),
                           "LOAD_PACE": arguments.pace,
                           "LOAD_SLOWEST": f"{scratch}/slowest.tsv",
                           "LOAD_CLERK": "clerk@load.example",
                           "LOAD_MANAGER": "manager@load.example",
                           "LOAD_PASSWORD": PASSWORD}
            started = time.monotonic()
            subprocess.run(
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"),
                 "--headless", "--users", str(arguments.users),
                 "--spawn-rate", str(max(1, arguments.users // 20)),
                 "--run-time", f"{int(arguments.minutes * 60)}s", "--stop-timeout", "10",
                 "--host", f"http://127.0.0.1:{port}", "--csv", f"{scratch}/load",
                 "--only-summary", "--loglevel", "WARNING"],
                env=environment, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
            ran = time.monotonic() - started
            filed, decided, twice = _decisions(setup, wait=60)
        with open(f"{scratch}/load_stats.csv", encoding="utf-8") as stats:
            rows = list(csv.DictReader(stats))
        noted = Path(f"{scratch}/slowest.tsv")
        slowest = noted.read_text(encoding="utf-8").splitlines() if noted.exists() else []
        where = describe(setup)
    _report(arguments, where, rows, ran, filed, decided, twice)
    print("  the slowest requests (ms, seconds into the run, page): " + "; ".join(
        " ".join(line.split("\t")) for line in slowest[:5]))


def _queue_for_clerks(factory: sessionmaker[Session], setup: Setup, count: int) -> None:
    """Edge cases waiting before the load starts: the clerks have a queue to work."""
    bookings, _operations = delayed_journeys(setup.operator, count)
    for booking in bookings:
        booking["reference"] = "Q" + booking["reference"][1:]
    import_bookings(factory, enumerate(bookings, 1))
    with factory() as session:
        booking_ids = session.scalars(select(Booking.id).where(
            Booking.reference.like("Q%"))).all()
    claim_ids = [filing.submit_claim(factory, booking_id, filing.ClaimInput(
        passenger_name="Queue Passenger", passenger_email=None, arrived_with_service=None,
        statement="Der Zug war später als angezeigt.", language="de"), effort={}).claim_id
        for booking_id in booking_ids]
    assess_claims(factory, claim_ids)


def _decisions(setup: Setup, wait: float) -> tuple[int, int, int]:
    """Claims filed, decided, and decided more than once by the rules (must be 0)."""
    factory = setup.runtime.session_factory
    deadline = time.monotonic() + wait
    while True:
        with factory() as session:
            filed = session.scalar(select(func.count()).select_from(Claim)) or 0
            open_ = session.scalar(select(func.count()).select_from(Claim).where(
                Claim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.ASSESSING]))) or 0
        if not open_ or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with factory() as session:
        counts = select(ClaimEvent.claim_id, func.count().label("n")).where(
            ClaimEvent.kind == EventKind.CLAIM_DECIDED, ClaimEvent.actor == Actor.SYSTEM
        ).group_by(ClaimEvent.claim_id).subquery()
        twice = session.scalar(select(func.count()).select_from(counts).where(
            counts.c.n > 1)) or 0
    return int(filed), int(filed - open_), int(twice)


def _report(arguments: argparse.Namespace, setup: str, rows: list[dict[str, str]],
            seconds: float, filed: int, decided: int, twice: int) -> None:
    print(f"bench/load.py: {arguments.users} users ({arguments.pace}) for "
          f"{seconds / 60:.1f} min, "
          f"{arguments.web_workers} gunicorn workers, {arguments.workers} RQ workers; {setup}")
    print(f"  {'page':34} {'requests':>9} {'failures':>9} {'p50 ms':>7} {'p95 ms':>7}")
    worst = 0.0
    failures = 0
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        p95 = float(row["95%"] or 0)
        worst = max(worst, p95)
        failures += int(row["Failure Count"])
        flag = "" if p95 < GOAL_P95_MS else "  over the goal"
        print(f"  {row['Type'] + ' ' + row['Name']:34.34} {row['Request Count']:>9} "
              f"{row['Failure Count']:>9} {row['50%']:>7} {row['95%']:>7}{flag}")
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total:
        print(f"  all: {total['Request Count']} requests, {float(total['Requests/s']):.1f}/s, "
              f"{total['Failure Count']} failures")
    print(f"  claims filed {filed}, decided {decided}, decided twice {twice}")
    if filed - QUEUED_FOR_CLERKS >= arguments.bookings:
        # Passengers stop when the bookings are gone: the load fell before the end.
        print(f"  all {arguments.bookings} bookings were used: passengers stopped early "
              "(give --bookings)")
    ok = failures == 0 and worst < GOAL_P95_MS and filed == decided and twice == 0
    print(f"  goal: no errors, every page p95 < {GOAL_P95_MS} ms, every claim decided once "
          f"-> {'met' if ok else 'NOT met'} (worst p95 {worst:.0f} ms; "
          f"ratio to the goal {worst / GOAL_P95_MS:.2f})")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
