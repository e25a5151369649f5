"""Import memory bench: one import of (nearly) 128 MB, the API's limit, posted to a real
gunicorn as `make run` serves it, with an operator's key: valid bookings mixed with lines
the import rejects (a bare `1`, broken JSON, an unknown regime, an operations record).
Samples the serving worker's resident memory while it reads, checks and writes, and prints
the peak, the time and the ratio to the ceiling of 300 MB (issue 43: 10 MB of `1` lines
once took a worker to 2.97 GB); exits 1 above it. --ones posts that body instead.

    .venv/bin/python bench/import_memory.py
    .venv/bin/python bench/import_memory.py --array
    .venv/bin/python bench/import_memory.py --ones --megabytes 10
    DATABASE_URL=postgresql://postgres@127.0.0.1/test .venv/bin/python bench/import_memory.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.common import describe, isolated_setup, web_server
from claims.operators import accounts
from portal.api.imports import IMPORT_LIMIT

CEILING_MB = 300.0
MB = 1024 * 1024


def write_body(path: Path, operator: str, size: int, bad_every: int,
               array: bool) -> tuple[int, int]:
    """Lines up to `size` bytes: every `bad_every`-th a rejected one, of four kinds in
    turn (in an array, a string instead of broken JSON, which would end it). Returns
    (valid bookings, rejected lines)."""
    valid = rejected = 0
    written = 2 if array else 0
    broken = '"BROKEN"' if array else '{"reference": "BROKEN'
    with path.open("w", encoding="utf-8") as out:
        out.write("[" if array else "")
        index = 0
        while True:
            index += 1
            if index % bad_every == 0:
                kind = (index // bad_every) % 4
                line = ["1", broken, json.dumps(_booking(operator, index, regime="by-coach")),
                        json.dumps(_operations(operator, index))][kind]
            else:
                line = json.dumps(_booking(operator, index))
            encoded = len(line.encode()) + (2 if array else 1)
            if written + encoded > size:
                break
            out.write((",\n" if index > 1 else "") + line if array else line + "\n")
            written += encoded
            if index % bad_every == 0:
                rejected += 1
            else:
                valid += 1
        out.write("]" if array else "")
    return valid, rejected


def write_ones(path: Path, size: int) -> tuple[int, int]:
    """The issue's body: nothing but lines of `1`, each rejected."""
    lines = size // 2
    with path.open("wb") as out:
        for _ in range(lines // 100_000):
            out.write(b"1\n" * 100_000)
        out.write(b"1\n" * (lines % 100_000))
    return 0, lines


def _booking(operator: str, index: int, regime: str = "eu-rail") -> dict[str, object]:
    return {
        "reference": f"M{index:08d}", "operator": operator, "regime": regime,
        "passenger": {"name": f"Memory Passenger{index}", "email": f"m{index}@example.org"},
        "fare": {"amount": f"{19 + index % 120}.90", "currency": "EUR", "kind": "single"},
        "payment": {"iban": "DE02120300000000202051", "holder": "Memory Passenger"},
        "legs": [
            {"service": f"ICE {index % 900}", "origin": "Frankfurt(Main) Hbf",
             "destination": "Mannheim Hbf", "scheduled_departure": "2026-03-02T10:13:00+01:00",
             "scheduled_arrival": "2026-03-02T10:51:00+01:00"},
            {"service": f"IC {index % 700}", "origin": "Mannheim Hbf",
             "destination": "Stuttgart Hbf", "scheduled_departure": "2026-03-02T11:06:00+01:00",
             "scheduled_arrival": "2026-03-02T11:44:00+01:00"}]}


def _operations(operator: str, index: int) -> dict[str, object]:
    return {"operator": operator, "service": f"ICE {index % 900}", "date": "2026-03-02",
            "stop": "Mannheim Hbf", "actual_arrival": "2026-03-02T11:58:00+01:00"}


class PeakRss:
    """The largest resident set of the gunicorn workers (the master's children), sampled
    every 20 ms in a thread of the bench."""

    def __init__(self, port: int) -> None:
        self.workers = _workers_listening(port)
        self.idle = max(worker.memory_info().rss for worker in self.workers)
        self.peak = self.idle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for worker in self.workers:
                with suppress(psutil.NoSuchProcess):
                    self.peak = max(self.peak, worker.memory_info().rss)


def _workers_listening(port: int) -> list[psutil.Process]:
    for process in psutil.process_iter(["name", "cmdline"]):
        command = process.info["cmdline"] or []
        if any("gunicorn" in part for part in command[:2]) and \
                f"127.0.0.1:{port}" in command and process.children():
            return process.children()
    raise RuntimeError(f"no gunicorn with workers on port {port}")


def post(port: int, path: Path, key: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    with path.open("rb") as body:
        connection.request("POST", "/api/v1/bookings", body=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson",
            "Content-Length": str(path.stat().st_size)})
        response = connection.getresponse()
        answer = response.read()
    connection.close()
    return response.status, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=IMPORT_LIMIT / MB,
                        help="the body's size (default: the API's limit, 128)")
    parser.add_argument("--bad-every", type=int, default=10,
                        help="every N-th line is one the import rejects")
    parser.add_argument("--array", action="store_true",
                        help="the records as one JSON array instead of JSON Lines")
    parser.add_argument("--ones", action="store_true",
                        help="the issue's body instead: lines of `1` only, all rejected")
    arguments = parser.parse_args()
    size = min(int(arguments.megabytes * MB), IMPORT_LIMIT)
    with isolated_setup() as setup, tempfile.TemporaryDirectory() as scratch:
        operator = f"{setup.operator}-keyed"
        key = accounts.create_operator(setup.runtime.session_factory, operator,
                                       "Bench Keyed Rail", "eu-rail")
        path = Path(scratch) / "bookings.jsonl"
        valid, rejected = write_ones(path, size) if arguments.ones else \
            write_body(path, operator, size, arguments.bad_every, arguments.array)
        with web_server(setup, 1) as port, PeakRss(port) as rss:
            started = time.perf_counter()
            status, answer = post(port, path, key)
            seconds = time.perf_counter() - started
        report = json.loads(answer)
        shape = "a JSON array" if arguments.array else "JSON Lines"
        print(f"bench/import_memory.py: {path.stat().st_size / MB:.1f} MB {shape} to "
              f"POST /api/v1/bookings, {valid} valid bookings and {rejected} rejected lines; "
              f"1 gunicorn worker; {describe(setup)}")
        print(f"  answer         {status}, {len(answer) / 1024:.1f} kB: {report['created']} "
              f"created, {report['rejected_count']} rejected, {len(report['rejected'])} "
              "listed")
        print(f"  time           {seconds:6.1f} s  ({valid / seconds:.0f} bookings/s, "
              f"{(valid + rejected) / seconds:.0f} lines/s, "
              f"{path.stat().st_size / MB / seconds:.1f} MB/s)")
        print(f"  worker RSS     {rss.idle / MB:6.1f} MB idle, {rss.peak / MB:6.1f} MB peak  "
              f"({rss.peak / MB / CEILING_MB:.0%} of the {CEILING_MB:.0f} MB ceiling)")
    wrong = report["created"] != valid or report["rejected_count"] != rejected
    if wrong:
        print("  the counts are not the file's", file=sys.stderr)
    if rss.peak / MB > CEILING_MB or wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
