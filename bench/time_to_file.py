"""Pay mode, end to end: an operator in `pay` mode with payout runs every minute; one
operations import makes N booked journeys late (200 to a train); K real workers check
them, approve them and, on the schedule, pay them. Prints the time from the import to
the last of their lines in a payout file, next to the ceiling of 5 minutes for 10,000
journeys (issue 42), and checks each journey is paid once, with its line in a file.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/time_to_file.py --journeys 10000 --workers 2
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.common import describe, isolated_setup, rq_workers
from bench.proactive import storm
from claims.db.models import Claim, Payout
from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from workflows.pipeline import start_proactive_checks

CEILING_SECONDS = 5 * 60.0
CEILING_JOURNEYS = 10_000


def lines_in_files(directory: Path) -> int:
    return sum(len(re.findall(r"<EndToEndId>", path.read_text(encoding="utf-8")))
               for path in directory.glob("*.xml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=CEILING_JOURNEYS)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        factory = setup.runtime.session_factory
        accounts.configure_operator(
            factory, setup.operator, proactive_mode="pay", payout_account_name="Bench Rail",
            payout_account_iban="DE89370400440532013000", payout_schedule="every:1",
            timezone=setup.runtime.settings.timezone)
        bookings, operations = storm(setup.operator, arguments.journeys, 200)
        report = import_bookings(factory, enumerate(bookings, 1))
        assert not report.rejected, report.rejected[:3]
        directory = setup.runtime.settings.instance_path / "payouts"
        # The sweeper runs every 5 s here (30 s by default): a due run is queued within
        # that of its minute.
        with rq_workers(setup, arguments.workers, sweep_every=5):
            started = time.perf_counter()
            import_operations(factory, enumerate(operations, 1))
            start_proactive_checks(setup.runtime.redis, arguments.workers)
            deadline = started + 2 * CEILING_SECONDS
            while lines_in_files(directory) < arguments.journeys and \
                    time.perf_counter() < deadline:
                time.sleep(1)
            seconds = time.perf_counter() - started
        with factory() as session:
            paid = session.scalar(select(func.count(Payout.id))) or 0
            statuses = dict(session.execute(select(Claim.status, func.count(Claim.id))
                                            .group_by(Claim.status)).all())
        lines = lines_in_files(directory)
        ceiling = CEILING_SECONDS * arguments.journeys / CEILING_JOURNEYS
        print(describe(setup))
        print(f"late journeys:      {arguments.journeys}, pay mode, payout runs every minute, "
              f"{arguments.workers} workers")
        print(f"import to files:    {seconds:.0f} s for {lines} lines "
              f"(ceiling {ceiling:.0f} s; ratio {seconds / ceiling:.2f})")
        print(f"paid once each:     {paid} payouts, statuses {statuses}")
        if lines != arguments.journeys or paid != arguments.journeys or seconds > ceiling:
            sys.exit(1)


if __name__ == "__main__":
    main()
