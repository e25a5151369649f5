"""Storm day, proactive: one operations import delays N bookings of an operator in offer
mode; K workers check every journey, make the offers and queue their e-mails, which go out
at MAIL_RATE. Prints decisions/s and e-mails/s next to the no-op RQ ceiling measured in
the same run, and whether the goal (all decisions and e-mails queued within 15 minutes)
was met.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/proactive.py --bookings 100000 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from bench.common import Setup, describe, isolated_setup, noop_job_ceiling, processes
from claims.db.models import Claim, OperationsRecord
from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from workflows.pipeline import start_proactive_checks
from workflows.queues import CLAIMS_QUEUE

GOAL_SECONDS = 15 * 60


def storm(operator: str, bookings: int, per_train: int) -> tuple[list[dict], list[dict]]:
    """`bookings` passengers on trains of `per_train` each, every train 74 minutes late."""
    day = (date.today() - timedelta(days=1)).isoformat()
    records, operations = [], []
    for index in range(bookings):
        service = f"ICE {1000 + index // per_train}"
        records.append({
            "reference": f"P{index:07d}", "operator": operator, "regime": "eu-rail",
            "passenger": {"name": f"Storm Passenger{index}",
                          "email": f"passenger{index}@example.org"},
            "fare": {"amount": "59.90", "currency": "EUR", "kind": "single"},
            "payment": {"iban": "DE02120300000000202051",
                        "holder": f"Storm Passenger{index}"},
            "legs": [{"service": service, "origin": "Köln Hbf", "destination": "Berlin Hbf",
                      "scheduled_departure": f"{day}T08:00:00+01:00",
                      "scheduled_arrival": f"{day}T12:20:00+01:00"}]})
    for train in range((bookings + per_train - 1) // per_train):
        operations.append({"operator": operator, "service": f"ICE {1000 + train}",
                           "date": day, "stop": "Berlin Hbf", "cause": "technical",
                           "actual_arrival": f"{day}T13:34:00+01:00"})
    return records, operations


def _checkers_busy(setup: Setup, workers: int) -> bool:
    """A checker still running: its last batch's e-mails may not all be queued yet."""
    for n in range(workers):
        try:
            status = Job.fetch(f"proactive-check-{n}",
                               connection=setup.runtime.redis).get_status()
        except NoSuchJobError:
            continue
        if status in (JobStatus.QUEUED, JobStatus.STARTED):
            return True
    return False


def _counts(setup: Setup) -> tuple[int, int]:
    """(operations records still waiting for their check, offers made)."""
    with setup.runtime.session_factory() as session:
        waiting = session.scalar(select(func.count()).select_from(OperationsRecord).where(
            OperationsRecord.proactive_checked.is_(False))) or 0
        offers = session.scalar(select(func.count()).select_from(Claim)) or 0
    return waiting, offers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--per-train", type=int, default=200, help="bookings per late train")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (K)")
    parser.add_argument("--mail-rate", type=int, default=200, help="MAIL_RATE, e-mails/s")
    parser.add_argument("--mail-seconds", type=float, default=60,
                        help="how long to measure sending once the decisions are done")
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        setup.environment["MAIL_RATE"] = str(arguments.mail_rate)
        accounts.configure_operator(setup.runtime.session_factory, setup.operator,
                                    proactive_mode="offer")
        bookings, operations = storm(setup.operator, arguments.bookings, arguments.per_train)
        started = time.perf_counter()
        import_bookings(setup.runtime.session_factory, enumerate(bookings, 1))
        bookings_imported = time.perf_counter() - started
        outbox = Path(setup.environment["INSTANCE_PATH"]) / "outbox"
        queue = Queue(CLAIMS_QUEUE, connection=setup.runtime.redis)
        with processes(setup, workers=arguments.workers, web_workers=1) as _port:
            noop = noop_job_ceiling(setup, 5000)
            # The storm: one import of the operations records, as the CLI or the API does.
            started = time.perf_counter()
            import_operations(setup.runtime.session_factory, enumerate(operations, 1))
            start_proactive_checks(setup.runtime.redis, arguments.workers)
            while True:
                waiting, offers = _counts(setup)
                if not waiting and offers >= arguments.bookings and \
                        not _checkers_busy(setup, arguments.workers):
                    break
                if time.perf_counter() - started > 2 * GOAL_SECONDS:
                    break
                time.sleep(0.5)
            decided = time.perf_counter() - started
            mailed_at_decided = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
            queued = queue.count
            time.sleep(arguments.mail_seconds)
            mailed = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
        waiting, offers = _counts(setup)
    rate = offers / decided
    sent_rate = (mailed - mailed_at_decided) / arguments.mail_seconds
    print(f"bench/proactive.py: {arguments.bookings} bookings on {len(operations)} late "
          f"trains ({bookings_imported:.1f} s to import the bookings); K={arguments.workers}; "
          f"MAIL_RATE={arguments.mail_rate}; {describe(setup)}")
    print(f"  ceiling: no-op RQ jobs {noop:8.1f} jobs/s")
    print(f"  decisions              {rate:8.1f} /s = {rate / noop:.2f} of the no-op ceiling "
          f"({offers} offers in {decided:.1f} s, {waiting} records left unchecked)")
    print(f"  e-mails                {mailed_at_decided} sent and {queued} queued when the "
          f"last decision's e-mail was queued")
    print(f"  e-mails sent           {sent_rate:8.1f} /s over {arguments.mail_seconds:.0f} s "
          f"(MAIL_RATE {arguments.mail_rate}/s)")
    met = decided <= GOAL_SECONDS and not waiting and offers >= arguments.bookings
    print(f"  goal: all decisions and e-mails queued within {GOAL_SECONDS / 60:.0f} min: "
          f"{'met' if met else 'NOT met'} ({decided / 60:.1f} min)")


if __name__ == "__main__":
    main()
