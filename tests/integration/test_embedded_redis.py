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


# Without REDIS_URL, any process that needs Redis starts (or joins) a shared embedded
# server: a `flask` command while `make run` is stopped, a test run, a script. Four such
# servers were once found running long after the commands and the test run that started
# them. Each is counted by the processes that use it and stops after the last of them.

def _servers_under(instance: Path) -> list[str]:
    """Every process whose command line names the instance folder (a redis-server shows
    its socket there, its supervisor the folder): none may outlive its users."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(instance) in line:
            found.append(f"{entry.name}: {line}")
    return found


def _gone_soon(instance: Path, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _servers_under(instance)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _embedded_environment(instance: Path, database_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    environment.update(INSTANCE_PATH=str(instance), DATABASE_URL=database_url,
                       EFFORTLESS_ENV="testing", SECRET_KEY="a-secret-for-these-commands-only")
    return environment


def test_a_flask_command_leaves_no_redis_server_behind(database_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="er-", dir="/tmp") as directory:
        instance = Path(directory)
        for _ in range(2):
            # `payouts run` tells Redis about the payouts it made, so it starts the server.
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "payouts",
                                   "run"], env=_embedded_environment(instance, database_url),
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert "nothing to pay" in done.stdout
            assert (instance / "redis.log").exists(), "the command started no server"
            assert not _gone_soon(instance), _servers_under(instance)
            assert not embedded_redis.socket_path(instance).exists()


_HOLDER = """
import sys, time
from pathlib import Path
from workflows import embedded_redis
embedded_redis.ensure_running(Path(sys.argv[1]))
print("up", flush=True)
time.sleep(600)
"""


def test_a_shared_server_stays_while_any_user_runs_and_stops_after_the_last(
        database_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="er-", dir="/tmp") as directory:
        instance = Path(directory)
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(instance)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "up\n"
            # A command joins the server the holder started, and leaves it running.
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "payouts",
                                   "run"], env=_embedded_environment(instance, database_url),
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            time.sleep(4 * embedded_redis.USERS_CHECKED_EVERY)
            assert embedded_redis.responds(instance)
        finally:
            holder.kill()  # however its last user ends
            holder.wait()
            if holder.stdout is not None:
                holder.stdout.close()
        assert not _gone_soon(instance), _servers_under(instance)
