"""Bank feedback bench: a bank status file (pain.002, pretty-printed as banks send it) of
100,000 lines about the transfers of paid claims, imported through
`flask payouts feedback`, timed, twice (the second import changes nothing: the idempotent
path). One transfer in ten is refused (AC04), the others accepted.

    .venv/bin/python bench/bank_feedback.py --lines 100000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lxml import etree

from bench.common import BIN, ROOT, Setup, describe, isolated_setup
from claims.db.bulk import insert_many
from claims.db.models import Claim, Payout, PayoutRun
from tools.bank_files import payment_status_report

# Pretty-printed, a refused transfer with its reason is 10 lines, an accepted one 5.
LINES_PER_TRANSFER = 5.5


def pay_claims(setup: Setup, count: int) -> None:
    """Paid claims with one transfer each, written straight into the tables: the bench
    measures the feedback, not the filing."""
    with setup.runtime.session_factory.begin() as session:
        run = PayoutRun(operator_id=setup.operator_id, currency="EUR", transfers=count)
        session.add(run)
        session.flush()
        insert_many(session, Claim, [
            {"id": index, "operator_id": setup.operator_id, "regime": "eu-rail",
             "status": "paid", "passenger_name": f"Bench Passenger{index}",
             "amount": Decimal("12.50"), "currency": "EUR"}
            for index in range(1, count + 1)])
        insert_many(session, Payout, [
            {"claim_id": index, "run_id": run.id, "method": "account",
             "amount": Decimal("12.50"), "currency": "EUR"}
            for index in range(1, count + 1)])


def write_status_file(path: Path, lines: int) -> int:
    transfers = int(lines / LINES_PER_TRANSFER)
    compact = payment_status_report(
        (f"EFF-CLAIM-{index}", "RJCT" if index % 10 == 0 else "ACSC",
         "AC04" if index % 10 == 0 else None) for index in range(1, transfers + 1))
    tree = etree.fromstring(compact, etree.XMLParser(remove_blank_text=True))
    path.write_bytes(etree.tostring(tree, pretty_print=True, xml_declaration=True,
                                    encoding="UTF-8"))
    return transfers


def timed_import(setup: Setup, path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "payouts", "feedback",
                             str(path)], cwd=ROOT, env=setup.environment,
                            capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    arguments = parser.parse_args()
    with isolated_setup() as setup, tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "status.xml"
        transfers = write_status_file(path, arguments.lines)
        pay_claims(setup, transfers)
        lines = path.read_bytes().count(b"\n")
        first, first_report = timed_import(setup, path)
        second, second_report = timed_import(setup, path)
        print(f"bench/bank_feedback.py: a pain.002 of {lines} lines "
              f"({path.stat().st_size / 1e6:.1f} MB, {transfers} transfers, one in ten "
              f"refused); {describe(setup)}")
        print(f"  first import   {first:6.1f} s  ({first_report})")
        print(f"  re-import      {second:6.1f} s  ({second_report})")
        print("  ceiling: 30 s for a bank status file of 100,000 lines (the money issue)")


if __name__ == "__main__":
    main()
