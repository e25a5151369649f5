"""Storm-day bench: import N bookings with a large delayed cohort, file their claims as
fast as P submitters can, let K RQ workers decide them, and print claims/s decided end to
end, the straight-through share and p50/p95 submit-to-decision, next to the ceilings of
bench/submit_claims.py measured in the same run (a trivial endpoint, no-op RQ jobs).

Claims are filed through the same service call and enqueue as the web form, in P
processes: the HTTP cost of filing is what bench/submit_claims.py measures.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/storm_day.py --workers 2 --submitters 2
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
    Setup,
    decision_times,
    describe,
    import_journeys,
    isolated_setup,
    noop_job_ceiling,
    processes,
    trivial_endpoint_ceiling,
    wait_until_decided,
)
from bench.submit_claims import delayed_journeys
from claims.db.models import Booking
from claims.passengers import filing
from common.settings import load_settings
from workflows import runtime
from workflows.pipeline import dispatch_assessment


def _file(environment: dict[str, str], booking_ids: list[int]) -> None:
    current = runtime.install(runtime.build(load_settings(environ=environment)))
    for booking_id in booking_ids:
        result = filing.submit_claim(current.session_factory, booking_id, filing.ClaimInput(
            passenger_name="Storm Passenger", passenger_email=None, arrived_with_service=None,
            statement=None, language="en"), effort={})
        dispatch_assessment(current.session_factory, current.redis, result.claim_id)
    current.close()


def _file_in_parallel(setup: Setup, booking_ids: list[int], submitters: int) -> float:
    """Seconds to file a claim for each booking, from `submitters` processes."""
    shares = [booking_ids[i::submitters] for i in range(submitters)]
    context = multiprocessing.get_context("spawn")
    filers = [context.Process(target=_file, args=(setup.environment, share))
              for share in shares]
    started = time.perf_counter()
    for filer in filers:
        filer.start()
    for filer in filers:
        filer.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=10_000,
                        help="claims filed while the workers decide")
    parser.add_argument("--backlog", type=int, default=10_000,
                        help="claims filed before any worker runs (claims + backlog <= "
                             "bookings)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (K)")
    parser.add_argument("--submitters", type=int, default=2, help="filing processes (P)")
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        bookings, operations = delayed_journeys(setup.operator, arguments.bookings)
        for booking in bookings:
            booking["passenger"]["name"] = "Storm Passenger"
        started = time.perf_counter()
        import_journeys(setup, bookings, operations)
        imported = time.perf_counter() - started
        with setup.runtime.session_factory() as session:
            ids = list(session.scalars(select(Booking.id).where(
                Booking.operator_id == setup.operator_id).order_by(Booking.id)
                .limit(arguments.claims + arguments.backlog)))
        live, backlog = ids[:arguments.claims], ids[arguments.claims:]
        # A storm's first wave: the claims are filed while no worker runs (a deploy, an
        # outage), so the workers start with a queue of them.
        if backlog:
            _file_in_parallel(setup, backlog, arguments.submitters)
        with processes(setup, workers=arguments.workers, web_workers=1) as port:
            if backlog:
                wait_until_decided(setup, len(backlog), timeout=3600, booking_ids=backlog)
            trivial = trivial_endpoint_ceiling(port, 2000, 8)
            filed = _file_in_parallel(setup, live, arguments.submitters)
            wait_until_decided(setup, len(live), timeout=3600, booking_ids=live)
            noop = noop_job_ceiling(setup, 5000)
        times = decision_times(setup, live)
        drained = (decision_times(setup, backlog, from_first_decision=True)
                   if backlog else None)
    print(f"bench/storm_day.py: {arguments.bookings} bookings imported (their journeys checked "
          f"for proactive compensation) in {imported:.1f} s; "
          f"K={arguments.workers} RQ workers, {arguments.submitters} filing processes; "
          f"{describe(setup)}")
    print(f"  ceiling: no-op RQ jobs    {noop:8.1f} jobs/s")
    print(f"  ceiling: trivial endpoint {trivial:8.1f} requests/s")
    print(f"  {len(live)} claims filed while the workers decide:")
    print(f"    filed              {len(live) / filed:8.1f} claims/s")
    print(f"    decided            {times.per_second:8.1f} claims/s end to end "
          f"(first filed to last decided) = {times.per_second / noop:.2f} of the no-op "
          f"ceiling")
    print(f"    straight-through   {times.straight_through:.1%}")
    print(f"    submit->decision   p50 {times.p50_ms:.0f} ms, p95 {times.p95_ms:.0f} ms")
    if drained is not None:
        print(f"  {len(backlog)} claims filed before the workers started:")
        print(f"    decided            {drained.per_second:8.1f} claims/s (first decision to "
              f"last) = {drained.per_second / noop:.2f} of the no-op ceiling")
        print(f"    straight-through   {drained.straight_through:.1%}")


if __name__ == "__main__":
    main()
