"""`make run`'s embedded Redis stops after its clients: honcho's Ctrl-C sends SIGTERM to
every process at once, and workers that lost Redis while they stopped filled the
terminal with tracebacks. The server waits for its clients to leave (at most
CLIENTS_LEAVE_WITHIN seconds), and never outlives the process that runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from workflows import embedded_redis


@contextmanager
def _served() -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    # A short path: a Unix socket's is limited to 107 bytes.
    with tempfile.TemporaryDirectory(prefix="er-", dir="/tmp") as directory:
        path = Path(directory)
        # In a session of its own, as honcho starts it.
        process = subprocess.Popen([sys.executable, "-m", "workflows.embedded_redis",
                                    str(path)], start_new_session=True)
        try:
            assert embedded_redis.wait_until_up(path)
            yield process, path
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _client(path: Path) -> redis.Redis:
    client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(path)))
    assert client.ping()
    return client


def test_stopped_with_its_clients_it_serves_them_until_they_leave() -> None:
    with _served() as (process, path):
        client = _client(path)
        os.killpg(process.pid, signal.SIGTERM)  # as honcho stops it
        time.sleep(0.5)
        assert client.ping()  # still there for a worker that is unregistering
        client.close()
        assert process.wait(timeout=3) == 0
        assert not embedded_redis.responds(path)


def test_a_client_that_stays_does_not_keep_it_running() -> None:
    with _served() as (process, path):
        client = _client(path)
        started = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=embedded_redis.CLIENTS_LEAVE_WITHIN + 3) == 0
        assert time.monotonic() - started >= embedded_redis.CLIENTS_LEAVE_WITHIN - 0.5
        assert not embedded_redis.responds(path)
        client.close()


def test_the_server_ends_with_the_process_that_runs_it() -> None:
    with _served() as (process, path):
        os.killpg(process.pid, signal.SIGKILL)  # honcho's last resort
        process.wait()
        deadline = time.monotonic() + 5
        while embedded_redis.responds(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not embedded_redis.responds(path)
