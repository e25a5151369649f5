"""Payout run bench: N approved claims (each on a booking of its own, 200 to a train, the
account on file), one `run_payouts`, timed: the claims taken in batches, each journey's
twins looked for before money moves, the rows written, the SEPA files written. Prints the
seconds and claims/s next to the ceiling of 60 s for 100,000 claims (issue 42), and checks
that every claim is paid once, with its line in a file.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test .venv/bin/python bench/payout_run.py \\
        --claims 100000
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.common import describe, isolated_setup
from claims.db.bulk import insert_many
from claims.db.models import Booking, Claim, Payout
from claims.operators import accounts
from claims.operators.imports import import_bookings
from claims.processing.payouts import run_payouts

CEILING_SECONDS = 60.0
CEILING_CLAIMS = 100_000


def bookings(operator: str, count: int) -> list[dict[str, object]]:
    day = (date.today() - timedelta(days=3)).isoformat()
    return [{
        "reference": f"R{index:07d}", "operator": operator, "regime": "eu-rail",
        "passenger": {"name": f"Paid Passenger{index}", "email": f"p{index}@example.org"},
        "fare": {"amount": "59.90", "currency": "EUR", "kind": "single"},
        "payment": {"iban": "DE02120300000000202051", "holder": f"Paid Passenger{index}"},
        "legs": [{"service": f"ICE {1000 + index // 200}", "origin": "Köln Hbf",
                  "destination": "Berlin Hbf", "scheduled_departure": f"{day}T08:00:00+01:00",
                  "scheduled_arrival": f"{day}T12:20:00+01:00"}]} for index in range(count)]


def approve_all(factory: object, operator_id: int) -> int:
    """One approved claim per booking, written in bulk: the run is what is measured."""
    now = datetime.now(UTC)
    with factory.begin() as session:  # type: ignore[attr-defined]
        rows = [{"booking_id": booking_id, "direction": "outbound", "operator_id": operator_id,
                 "regime": "eu-rail", "status": "approved", "language": "en",
                 "passenger_name": name, "passenger_email": None, "submitted_at": now,
                 "decided_at": now, "delay_minutes": 74, "eligible": True,
                 "amount": Decimal("14.98"), "currency": "EUR", "percent": 25,
                 "rule": "eu-rail.19-1-a", "payout_method": "account", "origin": "passenger"}
                for booking_id, name in session.execute(
                    select(Booking.id, Booking.passenger_name).order_by(Booking.id))]
        insert_many(session, Claim, rows)
        return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=CEILING_CLAIMS)
    arguments = parser.parse_args()
    with isolated_setup() as setup:
        factory = setup.runtime.session_factory
        accounts.configure_operator(factory, setup.operator, payout_account_name="Bench Rail",
                                    payout_account_iban="DE89370400440532013000")
        report = import_bookings(factory, enumerate(bookings(setup.operator, arguments.claims),
                                                    1))
        assert not report.rejected, report.rejected[:3]
        approved = approve_all(factory, setup.operator_id)
        directory = setup.runtime.settings.instance_path / "payouts"
        started = time.perf_counter()
        runs, problems = run_payouts(factory, directory)
        seconds = time.perf_counter() - started
        with factory() as session:
            paid = session.scalar(select(func.count(Payout.id))) or 0
            statuses = dict(session.execute(select(Claim.status, func.count(Claim.id))
                                            .group_by(Claim.status)).all())
        lines = sum(len(re.findall(r"<EndToEndId>", path.read_text(encoding="utf-8")))
                    for path in directory.glob("*.xml"))
        ceiling = CEILING_SECONDS * arguments.claims / CEILING_CLAIMS
        print(describe(setup))
        print(f"approved claims:    {approved}")
        print(f"payout run:         {seconds:.1f} s, {approved / seconds:.0f} claims/s, "
              f"{len(runs)} runs, problems: {problems or 'none'}")
        print(f"ceiling:            {ceiling:.1f} s for {arguments.claims} claims "
              f"(60 s per 100,000); ratio {seconds / ceiling:.2f}")
        print(f"paid once each:     {paid} payouts, {lines} lines in files, statuses {statuses}")
        if paid != approved or lines != approved or seconds > ceiling:
            sys.exit(1)


if __name__ == "__main__":
    main()
