"""Clear claims filed one by one on an idle system, as `make run` runs it (two workers with
their sweepers every 30 s, gunicorn): how long from the submit to the decision, each time.

    .venv/bin/python bench/idle_latency.py [--claims 20] [--every 2.0]

The goal (issue 12): every clear claim decided in under 5 s, p95 under 1 s. A claim that
waits for the sweeper shows as a decision near a multiple of 30 s."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.common import (
    BIN,
    ROOT,
    describe,
    file_claim,
    import_journeys,
    isolated_setup,
    processes,
)
from bench.submit_claims import delayed_journeys
from claims.db.models import Booking, Claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between claims")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-demo", action="store_true",
                        help="skip the demo data make run seeds (3,000 bookings, 247 claims)")
    arguments = parser.parse_args()

    with isolated_setup() as setup:
        if not arguments.no_demo:
            # As on `make run`: the sweepers then have the demo's effort records to build.
            subprocess.run([str(BIN / "flask"), "--app", "wsgi", "demo", "seed"], cwd=ROOT,
                           env=setup.environment, check=True, capture_output=True)
        bookings, operations = delayed_journeys(setup.operator, arguments.claims)
        import_journeys(setup, bookings, operations)
        with processes(setup, workers=arguments.workers, web_workers=2,
                       sweep_every=30) as port:
            for index in range(arguments.claims):
                file_claim(port, f"B{index:07d}", f"Passenger{index}")
                time.sleep(arguments.every)
            deadline = time.monotonic() + 90
            while True:
                with setup.runtime.session_factory() as session:
                    rows = session.execute(
                        select(Claim.submitted_at, Claim.decided_at).join(Booking)
                        .where(Booking.operator_id == setup.operator_id)).all()
                if all(decided for _, decided in rows) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    seconds = sorted((decided - submitted).total_seconds() if decided else float("inf")
                     for submitted, decided in rows)
    slow = sum(1 for s in seconds if s > 5)
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18]
    print(f"bench/idle_latency.py: {len(seconds)} clear claims, one every {arguments.every} s, "
          f"{arguments.workers} workers; {describe(setup)}")
    print(f"  submit->decision   p50 {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, "
          f"max {seconds[-1]:.2f} s")
    print(f"  over 5 s           {slow} of {len(seconds)}   (goal: 0; p95 under 1 s)")


if __name__ == "__main__":
    main()
