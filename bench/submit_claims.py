"""Foundation bench: N claims filed over HTTP, decided by K RQ workers.

Prints claims/s submitted and decided and p50/p95 submit-to-decision latency, next to two
ceilings measured in the same run on the same processes: a trivial Flask endpoint
(requests/s) and no-op RQ jobs (jobs/s).

Claims filed while the workers run are decided as fast as they are filed: that rate says
how fast the web path is, not the workers. What the workers can do is measured on a backlog
(--backlog claims, filed over HTTP before they start), from its first decision to its last.

    .venv/bin/python bench/submit_claims.py --claims 1000 --workers 2
    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/submit_claims.py
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.common import (
    CpuByProcess,
    decision_times,
    describe,
    file_claim,
    import_journeys,
    isolated_setup,
    noop_job_ceiling,
    rq_workers,
    run_parallel,
    trivial_ceiling_around,
    wait_until_decided,
    web_server,
)
from claims.db.models import Booking


def delayed_journeys(operator: str, count: int) -> tuple[list[dict], list[dict]]:
    """One late train per booking, two days ago: every claim is clear and in time."""
    day = (date.today() - timedelta(days=2)).isoformat()
    bookings, operations = [], []
    for index in range(count):
        service = f"ICE {1000 + index}"
        bookings.append({
            "reference": f"B{index:07d}", "operator": operator, "regime": "eu-rail",
            "passenger": {"name": f"Bench Passenger{index}"},
            "fare": {"amount": "59.90", "currency": "EUR", "kind": "single"},
            # The clear path: an account on file, nothing to type but name and e-mail.
            "payment": {"iban": "DE02120300000000202051", "holder": f"Bench Passenger{index}"},
            "legs": [{"service": service, "origin": "Köln Hbf", "destination": "Berlin Hbf",
                      "scheduled_departure": f"{day}T08:00:00+01:00",
                      "scheduled_arrival": f"{day}T12:20:00+01:00"}]})
        operations.append({"operator": operator, "service": service, "date": day,
                           "stop": "Berlin Hbf", "cause": "technical",
                           "actual_arrival": f"{day}T13:{20 + index % 40:02d}:00+01:00"})
    return bookings, operations


# What serves a filing: the web server, the database, Redis, and the bench's passengers.
_PROCESSES = ("gunicorn", "postgres", "redis-server", "python", "rq worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000,
                        help="claims filed while the workers decide")
    parser.add_argument("--backlog", type=int, default=None,
                        help="claims filed before the workers start (default: --claims)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (K)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--concurrency", type=int, default=8, help="passengers at once")
    arguments = parser.parse_args()
    backlog = arguments.claims if arguments.backlog is None else arguments.backlog

    with isolated_setup() as setup:
        bookings, operations = delayed_journeys(setup.operator, arguments.claims + backlog)
        import_journeys(setup, bookings, operations)
        with setup.runtime.session_factory() as session:
            ids = list(session.scalars(select(Booking.id).where(
                Booking.operator_id == setup.operator_id).order_by(Booking.id)))
        live_ids, backlog_ids = ids[:arguments.claims], ids[arguments.claims:]

        def passenger(index: int) -> None:
            file_claim(port, f"B{index:07d}", f"Passenger{index}")

        with web_server(setup, arguments.web_workers) as port:
            # Filed over the same HTTP path while no worker runs (a deploy, an outage):
            # the workers then start with a queue, and decide as fast as they can. Filed
            # with the workers running, the claims are decided as fast as they arrive.
            # The web path alone on the machine, and the trivial endpoint in the same
            # state: the ratio of the two is the filing path's own cost.
            with trivial_ceiling_around(port, 4 * max(backlog, 250),
                                        arguments.concurrency) as alone:
                cpu = CpuByProcess()
                backlog_seconds = run_parallel(lambda i: passenger(arguments.claims + i),
                                               backlog, arguments.concurrency)
                cpu.stop()
            with rq_workers(setup, arguments.workers):
                if backlog:
                    wait_until_decided(setup, backlog, timeout=600, booking_ids=backlog_ids)
                with trivial_ceiling_around(port, 4 * arguments.claims,
                                            arguments.concurrency) as trivial:
                    live_cpu = CpuByProcess()
                    seconds = run_parallel(passenger, arguments.claims, arguments.concurrency)
                    wait_until_decided(setup, arguments.claims, timeout=600,
                                       booking_ids=live_ids)
                    live_cpu.stop()
                noop = noop_job_ceiling(setup, max(arguments.claims, 1000))
        times = decision_times(setup, live_ids)
        drained = (decision_times(setup, backlog_ids, from_first_decision=True)
                   if backlog else None)

    submitted = arguments.claims / seconds
    print(f"bench/submit_claims.py: {arguments.claims} claims filed while K="
          f"{arguments.workers} RQ workers decide, {backlog} before they start; "
          f"{arguments.web_workers} gunicorn workers, {arguments.concurrency} passengers at "
          f"once; {describe(setup)}")
    print(f"  ceiling: trivial endpoint {trivial.mean:8.1f} requests/s (the mean of "
          f"{trivial.before:.1f} just before the live filings and {trivial.after:.1f} after)")
    print(f"  ceiling: no-op RQ jobs    {noop:8.1f} jobs/s")
    print(f"  {arguments.claims} claims filed while the workers decide:")
    print(f"    submitted          {submitted:8.1f} claims/s (4 HTTP requests each) = "
          f"{4 * submitted / trivial.mean:.2f} of the trivial endpoint (in requests)")
    print(f"    decided            {times.per_second:8.1f} claims/s (first filed to last "
          f"decided: as fast as they are filed)")
    print(f"    submit->decision   p50 {times.p50_ms:.0f} ms, p95 {times.p95_ms:.0f} ms")
    print(f"    straight-through   {times.straight_through:.1%}")
    print(f"    CPU per claim      {live_cpu.per(arguments.claims, _PROCESSES)} "
          f"(filed and decided, on this host)")
    if drained is not None:
        filed_alone = backlog / backlog_seconds
        print(f"  {backlog} claims filed before the workers started (the web path alone; "
              f"trivial endpoint then {alone.mean:.1f} requests/s, "
              f"{alone.before:.1f} before and {alone.after:.1f} after):")
        print(f"    submitted          {filed_alone:8.1f} claims/s (4 HTTP requests each) = "
              f"{4 * filed_alone / alone.mean:.2f} of the trivial endpoint (in requests)")
        print(f"    CPU per filing     {cpu.per(backlog, _PROCESSES)} (on this host)")
        print(f"    decided            {drained.per_second:8.1f} claims/s (first decision to "
              f"last) = {drained.per_second / noop:.2f} of the no-op ceiling")
        print(f"    straight-through   {drained.straight_through:.1%}")


if __name__ == "__main__":
    main()
