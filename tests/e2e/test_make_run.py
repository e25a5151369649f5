"""`make run` as a newcomer runs it: start, Ctrl-C, start again on the same database."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    # A session of its own, as a terminal gives the command: Ctrl-C goes to its group.
    with log.open("ab") as output:
        return subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}",
                                 "RQ_WORKERS=1"], cwd=ROOT, env=environment,
                                stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _answers(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}:\n"
                                 + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s:\n"
                         + log.read_text(errors="replace")[-3000:])


def _ctrl_c(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _offer_text(instance: Path) -> str:
    offer = min((instance / "outbox").glob("*-offer.eml"))
    message = email.message_from_bytes(offer.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    return str(body.get_content())


def test_make_run_serves_again_after_ctrl_c(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    # The embedded defaults, whatever servers the test run itself was pointed at.
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"DATABASE_URL", "REDIS_URL", "MAKEFLAGS", "MAKELEVEL",
                                  "PUBLIC_URL"}}
    environment["INSTANCE_PATH"] = str(instance)
    # The second start names the address passengers reach, as behind a proxy: it wins.
    public = "https://claims.example.test"
    ports = {}
    for start, extra in (("first", {}), ("second", {"PUBLIC_URL": public})):
        port = ports[start] = _free_port()
        log = tmp_path / f"make-run-{start}.log"
        process = _start({**environment, **extra}, port, log)
        try:
            assert _answers(f"http://127.0.0.1:{port}/", process, log, seconds=600) == 200
        finally:
            _ctrl_c(process)
        assert process.returncode is not None, start
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the web server still runs"
    first = (tmp_path / "make-run-first.log").read_text(errors="replace")
    second = (tmp_path / "make-run-second.log").read_text(errors="replace")
    output = first + second
    assert "nothing seeded" in second
    # The demo's money: a scheduled run due, a returned transfer with its e-mail and the
    # bank's file, the time to money in the report.
    # "due now" where the seed took longer than the first slot (a loaded machine).
    assert re.search(r"Demo Rail +every 5 minutes, (next at|due now)", output), output
    assert "payout_failed.eml" in output
    assert (instance / "examples" / "pain002-account-closed.xml").exists()
    assert "database is locked" not in output
    assert (instance / "effortless.sqlite3").exists()
    assert not (instance / "redis.sock").exists(), "the embedded Redis still runs"

    # Full addresses, on the port it serves; the e-mails' links too (the offer's one
    # click), unless PUBLIC_URL says otherwise.
    here = f"http://127.0.0.1:{ports['first']}"
    assert f"Staff logins (at {here}/clerk/login)" in first, first
    assert f"the manager's report, {here}/reports/" in first
    assert f"{here}/clerk/login" in first.rsplit("Portal:", 1)[1]
    assert f"{here}/status/" in _offer_text(instance)
    assert f"Staff logins (at {public}/clerk/login)" in second, second
    # Each request's line goes to the access log, which the text names, not the terminal.
    access_log = instance / "access.log"
    assert f"Access log: {access_log}" in first
    assert '"GET / HTTP/1.1" 200' in access_log.read_text()
    assert "GET / HTTP/1.1" not in output
