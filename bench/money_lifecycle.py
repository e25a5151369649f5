"""The money lifecycle's state machine (tests/integration/money_lifecycle.py), run long:
many more random sequences of bookings, claims, offers, corrections, erasures, clerks'
decisions and payout runs than `make test` runs, on the configured database. Prints how
many sequences and steps ran and how long they took; exits 1 with the shrunk sequence if an
invariant broke.

    DATABASE_URL=postgresql://postgres@127.0.0.1/test .venv/bin/python \\
        bench/money_lifecycle.py --examples 300 --steps 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import select

from bench.common import describe, isolated_setup
from claims.db.models import User
from claims.operators import accounts
from tests.integration.money_lifecycle import MoneyLifecycle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=60)
    arguments = parser.parse_args()
    with isolated_setup() as setup, tempfile.TemporaryDirectory() as scratch:
        factory = setup.runtime.session_factory
        for email in ("anna@example.org", "bert@example.org"):
            accounts.create_user(factory, email, "clerk", "a-long-clerk-password-2026")
        with factory() as session:
            clerks = tuple(session.scalars(select(User.id).order_by(User.id)))
        machine = type("LongMoneyLifecycle", (MoneyLifecycle,), {
            "factory": factory, "directory": Path(scratch), "clerk_ids": clerks})
        started = time.perf_counter()
        run_state_machine_as_test(machine, settings=settings(
            max_examples=arguments.examples, stateful_step_count=arguments.steps,
            deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
        seconds = time.perf_counter() - started
        print(describe(setup))
        print(f"money lifecycle: {arguments.examples} sequences of up to {arguments.steps} "
              f"steps, every invariant held, {seconds:.0f} s")


if __name__ == "__main__":
    main()
