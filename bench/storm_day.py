"""Storm-day bench: import N bookings with a large delayed cohort, file their claims as
fast as P submitters can, let K RQ workers decide them, and print claims/s decided end to
end, the straight-through share and p50/p95 submit-to-decision, next to the ceilings of
bench/submit_claims.py measured in the same run (a trivial endpoint, no-op RQ jobs).

Claims are filed through the same service call and enqueue as the web form, in P
processes: the HTTP cost of filing is what bench/submit_claims.py measures.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/storm_day.py --bookings 100000 --claims 20000 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.common import (
    decision_times,
    describe,
    isolated_setup,
    noop_job_ceiling,
    processes,
    trivial_endpoint_ceiling,
    wait_until_decided,
)
from bench.submit_claims import delayed_journeys
from claims import services
from claims.imports import import_bookings, import_operations
from claims.models import Booking
from portal.settings import load_settings
from workflows import runtime
from workflows.pipeline import dispatch_assessment


def _file(environment: dict[str, str], booking_ids: list[int]) -> None:
    current = runtime.install(runtime.build(load_settings(environ=environment)))
    for booking_id in booking_ids:
        result = services.submit_claim(current.session_factory, booking_id, services.ClaimInput(
            passenger_name="Storm Passenger", passenger_email=None, arrived_with_service=None,
            statement=None, language="en"), effort={})
        dispatch_assessment(current.session_factory, current.redis, result.claim_id)
    current.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=20_000, help="claims filed (<= bookings)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (K)")
    parser.add_argument("--submitters", type=int, default=2, help="filing processes (P)")
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        bookings, operations = delayed_journeys(setup.operator, arguments.bookings)
        for booking in bookings:
            booking["passenger"]["name"] = "Storm Passenger"
        started = time.perf_counter()
        import_bookings(setup.runtime.session_factory, enumerate(bookings, 1))
        import_operations(setup.runtime.session_factory, enumerate(operations, 1))
        imported = time.perf_counter() - started
        with setup.runtime.session_factory() as session:
            ids = list(session.scalars(select(Booking.id).where(
                Booking.operator_id == setup.operator_id).order_by(Booking.id)
                .limit(arguments.claims)))
        with processes(setup, workers=arguments.workers, web_workers=1) as port:
            trivial = trivial_endpoint_ceiling(port, 2000, 8)
            shares = [ids[i::arguments.submitters] for i in range(arguments.submitters)]
            started = time.perf_counter()
            context = multiprocessing.get_context("spawn")
            filers = [context.Process(target=_file, args=(setup.environment, share))
                      for share in shares]
            for filer in filers:
                filer.start()
            for filer in filers:
                filer.join()
            filed = time.perf_counter() - started
            wait_until_decided(setup, len(ids), timeout=3600)
            noop = noop_job_ceiling(setup, 5000)
        times = decision_times(setup)
    print(f"bench/storm_day.py: {arguments.bookings} bookings imported in {imported:.1f} s; "
          f"{len(ids)} claims filed by {arguments.submitters} processes, decided by "
          f"K={arguments.workers} RQ workers; {describe(setup)}")
    print(f"  filed              {len(ids) / filed:8.1f} claims/s")
    print(f"  decided            {times.per_second:8.1f} claims/s end to end "
          f"(first filed to last decided)")
    print(f"  straight-through   {times.straight_through:.1%}")
    print(f"  submit->decision   p50 {times.p50_ms:.0f} ms, p95 {times.p95_ms:.0f} ms")
    print(f"  ceiling: no-op RQ jobs    {noop:8.1f} jobs/s     -> decided is "
          f"{times.per_second / noop:.2f} of it")
    print(f"  ceiling: trivial endpoint {trivial:8.1f} requests/s")


if __name__ == "__main__":
    main()
