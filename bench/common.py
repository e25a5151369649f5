"""What the bench scripts share: an isolated set-up on the configured services, the web
server and workers as real processes, HTTP passengers, and the two ceilings."""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from rq import Queue
from sqlalchemy import create_engine, func, select

from claims.core.vocabulary import ClaimStatus
from claims.db import migrate
from claims.db.models import Claim, Operator
from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from claims.processing import proactive
from common.settings import load_settings
from workflows import runtime
from workflows.queues import CLAIMS_QUEUE

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHOICES = re.compile(r'name="shown_choices" type="hidden" value="([^"]+)"')


@dataclass
class Setup:
    environment: dict[str, str]
    runtime: runtime.Runtime
    operator: str
    operator_id: int


@contextmanager
def isolated_setup() -> Iterator[Setup]:
    """On the configured servers, a database and a Redis database of the bench's own,
    dropped and flushed at the end; without them a throw-away embedded set-up. A bench
    never leaves its data behind, nor reads anyone else's."""
    with tempfile.TemporaryDirectory(prefix="effortless-bench-") as scratch, \
            _own_database(os.environ.get("DATABASE_URL")) as database_url, \
            _own_redis_db(os.environ.get("REDIS_URL")) as redis_url:
        environment = {**os.environ, "INSTANCE_PATH": scratch,
                       "SECRET_KEY": "bench-secret-bench-secret-bench-secret",
                       "RATELIMIT_ENABLED": "false"}
        for key, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
            if value:
                environment[key] = value
        settings = load_settings(environ=environment)
        current = runtime.install(runtime.build(settings))
        environment["REDIS_URL"] = current.redis_url
        migrate.upgrade(current.engine)
        current.ensure_redis()
        operator = f"bench-{int(time.time())}"
        accounts.create_operator(current.session_factory, operator, "Bench Rail", "eu-rail")
        with current.session_factory() as session:
            operator_id = session.scalars(select(Operator.id)
                                          .where(Operator.slug == operator)).one()
        try:
            yield Setup(environment, current, operator, operator_id)
        finally:
            current.close()
            if settings.embedded_redis:
                from workflows import embedded_redis

                embedded_redis.stop(settings.instance_path)


@contextmanager
def _own_database(url: str | None) -> Iterator[str | None]:
    """A PostgreSQL database made for this run on the configured server, dropped after."""
    if not url or not url.startswith(("postgres://", "postgresql")):
        yield None
        return
    name = f"effortless_bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(load_settings(environ={**os.environ, "DATABASE_URL": url})
                          .database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
        print(f"bench data: database {name} dropped", file=sys.stderr)


@contextmanager
def _own_redis_db(url: str | None) -> Iterator[str | None]:
    """An empty Redis database (of the 16) on the configured server, flushed after."""
    if not url or not url.startswith("redis://"):
        yield None
        return
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url.rstrip("/")
    for index in range(15, 0, -1):
        candidate = redis.Redis.from_url(f"{base}/{index}")
        # Taken with SET NX: two benches started at once both find a database empty, and
        # only one may have it.
        if candidate.dbsize() == 0 and candidate.set("effortless-bench", os.getpid(), nx=True):
            break
        candidate.close()
    else:
        raise RuntimeError(f"no empty Redis database on {base} for the bench")
    try:
        yield f"{base}/{index}"
    finally:
        candidate.flushdb()
        candidate.close()
        print(f"bench data: Redis database {index} flushed", file=sys.stderr)


def import_journeys(setup: Setup, bookings: list[dict[str, Any]],
                    operations: list[dict[str, Any]]) -> None:
    """Bookings and operations records imported, and the journeys the operations records
    touch checked for proactive compensation, before anything is measured: that check is
    the import's own work (bench/proactive.py measures it). Left to the workers, it would
    run beside the passengers a bench measures and take its share of the machine."""
    factory = setup.runtime.session_factory
    import_bookings(factory, enumerate(bookings, 1))
    import_operations(factory, enumerate(operations, 1))
    proactive.check_all(factory)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def processes(setup: Setup, *, workers: int, web_workers: int,
              sweep_every: float = 0) -> Iterator[int]:
    """The web server and the RQ workers, as `make run` starts them; yields the port."""
    with web_server(setup, web_workers) as port, rq_workers(setup, workers, sweep_every):
        yield port


@contextmanager
def web_server(setup: Setup, web_workers: int) -> Iterator[int]:
    """gunicorn on a free port, answering; yields the port."""
    port = free_port()
    with _running([[str(BIN / "gunicorn"), "--no-control-socket", "--bind",
                    f"127.0.0.1:{port}", "--workers", str(web_workers), "--threads", "8",
                    "--log-level", "warning", "wsgi:app"]], setup, quiet=False) as pids:
        deadline = time.monotonic() + 30
        while True:
            try:
                request("127.0.0.1", port, "GET", "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        settled(pids)  # every web worker booted, not only the first
        # And every thread of every worker used once before anything is measured. In
        # bench/submit_claims.py the first ceiling on a new server was 177-549 requests/s
        # below the one read after the filings without this (6 runs), 123-351 with it (5);
        # the rest is the machine's drift, which trivial_ceiling_around takes in.
        trivial_endpoint_ceiling(port, 200 * web_workers, 16)
        yield port


@contextmanager
def rq_workers(setup: Setup, workers: int, sweep_every: float = 0) -> Iterator[None]:
    """K worker processes (RQ worker, drain loop, and with sweep_every the sweeper)."""
    with _running([[sys.executable, "-m", "workflows.worker", "--sweep-every",
                    str(sweep_every)]] * workers, setup, quiet=True) as pids:
        time.sleep(1.0)  # let every worker register on the queue
        settled(pids)  # and finish its first sweep
        yield


@contextmanager
def _running(commands: list[list[str]], setup: Setup, *, quiet: bool) -> Iterator[list[int]]:
    """The commands as processes, stopped at the end; yields their pids."""
    started = [subprocess.Popen(command, cwd=ROOT, env=setup.environment,
                                stderr=subprocess.DEVNULL if quiet else None)
               for command in commands]
    try:
        yield [process.pid for process in started]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def settled(pids: Sequence[int], *, timeout: float = 60) -> float:
    """Waits until the processes and their children are nearly idle, and returns how long
    it took. gunicorn answers as soon as its first worker has booted, while the others
    still import and compile; the RQ workers start their first sweep. A measurement
    started then measures the start: the sign-ins of bench/load.py's first seconds took
    up to 420 ms against a p50 of 100 ms."""
    import psutil  # with Locust, in the test extras

    started = time.monotonic()
    processes = [psutil.Process(pid) for pid in pids]

    def cpu_seconds() -> float:
        total = 0.0
        for process in processes:
            try:
                for each in [process, *process.children(recursive=True)]:
                    times = each.cpu_times()
                    total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    before = cpu_seconds()
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        now = cpu_seconds()
        if now - before < 0.05:  # under a tenth of a core over the half second
            break
        before = now
    return time.monotonic() - started


def request(host: str, port: int, method: str, path: str, body: dict[str, str] | None = None,
            cookie: str | None = None,
            connection: http.client.HTTPConnection | None = None) -> tuple[int, str, Any]:
    own = connection is None
    connection = connection or http.client.HTTPConnection(host, port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    if own:
        connection.close()
    return response.status, text, response.headers


def file_claim(port: int, reference: str, surname: str) -> None:
    """One passenger, as a browser does it: the four requests of the clear path."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = None

    def step(method: str, path: str, body: dict[str, str] | None = None) -> str:
        nonlocal cookie
        status, text, headers = request("127.0.0.1", port, method, path, body, cookie,
                                        connection)
        if headers.get("Set-Cookie"):
            cookie = headers["Set-Cookie"].split(";", 1)[0]
        if status >= 400:
            raise RuntimeError(f"{method} {path} answered {status}")
        return text

    page = step("GET", "/")
    step("POST", "/", {"csrf_token": _token(page), "reference": reference, "surname": surname})
    page = step("GET", "/claim")
    step("POST", "/claim", {"csrf_token": _token(page), "shown_choices": _choices(page),
                            "passenger_name": f"Bench {surname}"})
    connection.close()


def _token(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _choices(page: str) -> str:
    """The claim form's choices, sent back as a browser does (its hidden field)."""
    match = CHOICES.search(page)
    if not match:
        raise RuntimeError("no choices on the claim form")
    return match.group(1)


def run_parallel(task: Callable[[int], None], count: int, concurrency: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(task, index) for index in range(count)]:
            future.result()
    return time.perf_counter() - started


@dataclass
class Ceiling:
    before: float
    after: float = 0.0

    @property
    def mean(self) -> float:
        return (self.before + self.after) / 2


@contextmanager
def trivial_ceiling_around(port: int, requests: int, concurrency: int) -> Iterator[Ceiling]:
    """The trivial endpoint's ceiling just before the block and just after, in the same
    state: this machine's speed drifts by 10-20 % within a minute (the same code's CPU
    time per claim moved that much between runs), and a ceiling read at one end alone
    carried that drift into the ratio."""
    ceiling = Ceiling(trivial_endpoint_ceiling(port, requests, concurrency))
    yield ceiling
    ceiling.after = trivial_endpoint_ceiling(port, requests, concurrency)


def trivial_endpoint_ceiling(port: int, requests: int, concurrency: int) -> float:
    """Requests/s of GET /healthz on the same server: what the HTTP stack alone allows."""
    def hit(_: int) -> None:
        request("127.0.0.1", port, "GET", "/healthz")
    return requests / run_parallel(hit, requests, concurrency)


def noop_job_ceiling(setup: Setup, jobs: int) -> float:
    """Jobs/s of no-op RQ jobs through the same workers and Redis: the queue alone."""
    queue = Queue(CLAIMS_QUEUE, connection=setup.runtime.redis)
    finished = queue.finished_job_registry
    before = finished.count
    started = time.perf_counter()
    with setup.runtime.redis.pipeline() as pipe:
        for _ in range(jobs):
            queue.enqueue_call("workflows.jobs.noop_job", result_ttl=300, pipeline=pipe)
        pipe.execute()
    while finished.count - before < jobs:
        time.sleep(0.02)
    return jobs / (time.perf_counter() - started)


def wait_until_decided(setup: Setup, count: int, timeout: float,
                       booking_ids: Sequence[int] | None = None) -> None:
    deadline = time.monotonic() + timeout
    decided = [ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.NEEDS_REVIEW]
    while time.monotonic() < deadline:
        with setup.runtime.session_factory() as session:
            done = session.scalar(select(func.count()).select_from(Claim)
                                  .where(_claims_of(setup, booking_ids),
                                         Claim.status.in_(decided)))
        if (done or 0) >= count:
            return
        time.sleep(0.2)
    raise TimeoutError(f"only {done} of {count} claims were decided within {timeout} s")


@dataclass
class DecisionTimes:
    per_second: float
    p50_ms: float
    p95_ms: float
    straight_through: float


def decision_times(setup: Setup, booking_ids: Sequence[int] | None = None, *,
                   from_first_decision: bool = False) -> DecisionTimes:
    """Decided claims/s from the first claim filed to the last decided, or, for a backlog
    filed before any worker ran, from the first decision to the last."""
    with setup.runtime.session_factory() as session:
        rows = session.execute(select(Claim.submitted_at, Claim.decided_at, Claim.status)
                               .where(_claims_of(setup, booking_ids))).all()
    latencies = sorted((decided - submitted).total_seconds() * 1000
                       for submitted, decided, _ in rows)
    start = min(d if from_first_decision else s for s, d, _ in rows)
    span = (max(d for _, d, _ in rows) - start).total_seconds()
    touchless = sum(1 for *_, status in rows if status != ClaimStatus.NEEDS_REVIEW)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return DecisionTimes(len(rows) / span, quantiles[49], quantiles[94], touchless / len(rows))


def _claims_of(setup: Setup, booking_ids: Sequence[int] | None) -> Any:
    if booking_ids is None:
        return Claim.operator_id == setup.operator_id
    return Claim.booking_id.in_(booking_ids)


def describe(setup: Setup) -> str:
    settings = setup.runtime.settings
    database = settings.database_url.split("://", 1)[0]
    redis_kind = "embedded Redis" if settings.embedded_redis else "Redis server"
    return f"{database}, {redis_kind}, {os.cpu_count()} cores"


def _kind(name: str, command: list[str] | None) -> str:
    """The workers are python processes too: told apart from the passengers by module."""
    return "rq worker" if command and "workflows.worker" in command else name


class CpuByProcess:
    """CPU time (user + system) each kind of process on this host spent while it was open:
    gunicorn, postgres, redis-server, rq worker, python (the bench's passengers).
    Processes that started meanwhile count from zero; ones that ended meanwhile are lost,
    as are the kernel's network work and other tenants'. The ratio of two throughputs
    hides where the machine's time goes; this says it."""

    def __init__(self) -> None:
        self._before = self._snapshot()
        self.seconds: dict[str, float] = {}

    @staticmethod
    def _snapshot() -> dict[int, tuple[str, float]]:
        import psutil  # with Locust, in the test extras

        taken = {}
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            times = process.info["cpu_times"]
            if times is not None:
                taken[process.pid] = (_kind(process.info["name"], process.info["cmdline"]),
                                      times.user + times.system)
        return taken

    def stop(self) -> None:
        for pid, (name, seconds) in self._snapshot().items():
            before = self._before.get(pid)
            spent = seconds - (before[1] if before and before[0] == name else 0.0)
            self.seconds[name] = self.seconds.get(name, 0.0) + spent

    def per(self, count: int, names: Sequence[str]) -> str:
        """Milliseconds per item (a filing) of the named kinds, largest first."""
        spent = sorted(((self.seconds[name], name) for name in names
                        if self.seconds.get(name)), reverse=True)
        return ", ".join(f"{name} {seconds / count * 1000:.2f} ms"
                         for seconds, name in spent)
