"""Import bench: N bookings (two legs each) through `flask bookings import`, timed, twice
(the second run replaces every record: the idempotent path).

    .venv/bin/python bench/import_bookings.py --bookings 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, ROOT, describe, isolated_setup


def write_bookings(path: Path, operator: str, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            out.write(json.dumps({
                "reference": f"I{index:07d}", "operator": operator, "regime": "eu-rail",
                "passenger": {"name": f"Import Passenger{index}",
                              "email": f"p{index}@example.org"},
                "fare": {"amount": f"{19 + index % 120}.90", "currency": "EUR",
                         "kind": "single"},
                "payment": {"iban": "DE02120300000000202051", "holder": "Import Passenger"},
                "legs": [
                    {"service": f"ICE {index % 900}", "origin": "Frankfurt(Main) Hbf",
                     "destination": "Mannheim Hbf",
                     "scheduled_departure": "2026-03-02T10:13:00+01:00",
                     "scheduled_arrival": "2026-03-02T10:51:00+01:00"},
                    {"service": f"IC {index % 700}", "origin": "Mannheim Hbf",
                     "destination": "Stuttgart Hbf",
                     "scheduled_departure": "2026-03-02T11:06:00+01:00",
                     "scheduled_arrival": "2026-03-02T11:44:00+01:00"}]}) + "\n")


def timed_import(setup_environment: dict[str, str], path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "bookings", "import",
                             str(path)], cwd=ROOT, env=setup_environment, capture_output=True,
                            text=True, check=True)
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=100_000)
    arguments = parser.parse_args()
    with isolated_setup() as setup, tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bookings.jsonl"
        write_bookings(path, setup.operator, arguments.bookings)
        size = path.stat().st_size / 1e6
        first, first_report = timed_import(setup.environment, path)
        second, second_report = timed_import(setup.environment, path)
    print(f"bench/import_bookings.py: {arguments.bookings} bookings ({size:.0f} MB JSON Lines, "
          f"2 legs each); {describe(setup)}")
    print(f"  first import   {first:6.1f} s  {arguments.bookings / first:8.0f} bookings/s  "
          f"({first_report})")
    print(f"  re-import      {second:6.1f} s  {arguments.bookings / second:8.0f} bookings/s  "
          f"({second_report})")
    print("  ceiling: 60 s for 100,000 bookings (the foundation issue)")


if __name__ == "__main__":
    main()
