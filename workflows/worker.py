"""`python -m workflows.worker`: an RQ worker on the claims queue, the drain loop that
decides due claims in batches, and the sweeper.

Jobs run in the worker's own process (ClaimsWorker, a SimpleWorker): the database pool
then lives as long as the worker instead of being rebuilt for every job in a forked
child."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from types import FrameType

import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested

from workflows import runtime
from workflows.drain import drain_forever, drain_once
from workflows.pipeline import erase_expired_data, sweep
from workflows.queues import CLAIMS_QUEUE

log = logging.getLogger("workflows.worker")
# How long the worker's pub/sub thread (RQ's commands to a worker) blocks in one wait.
PUBSUB_WAIT_SECONDS = 1.0


class ClaimsWorker(SimpleWorker):
    """RQ's SimpleWorker, whose pub/sub thread ends within a second when it stops. RQ
    waits 60 s at a time; at its end it unsubscribes and then stops the thread, and
    redis-py (8.x) waits for that thread with no time limit. A thread that saw the
    unsubscription first went back to wait 60 s for a new one: a worker then took up to
    a minute to stop (a deploy, `make run`'s Ctrl-C, every burst worker in the tests)."""

    # Asked to stop (SIGTERM, Ctrl-C). RQ's own flag is private, and it is not set when
    # the worker is idle: RQ stops it by raising StopRequested at once.
    stop_asked = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # RQ types the attribute as None, the value its own subscribe() replaces too.
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=PUBSUB_WAIT_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)


def wait_for_redis(connection: redis.Redis, seconds: float = 30,
                   stopped: Callable[[], bool] = lambda: False) -> bool:
    """True once Redis answers; False if stopped() first; the error after the seconds."""
    deadline = time.monotonic() + seconds
    while not stopped():
        try:
            connection.ping()
            return True
        except (redis.ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return False


def sweep_forever(interval: float) -> None:
    current = runtime.current()
    while True:
        time.sleep(interval)
        try:
            queued = sweep(current.session_factory, current.redis)
            if queued:
                log.info("sweeper queued %d claims", queued)
            erase_expired_data(current.session_factory, current.settings, current.redis)
        except Exception:
            log.exception("sweep failed; trying again in %s s", interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--sweep-every", type=float, default=30.0,
                        help="seconds between sweeps; 0 disables the sweeper")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    current = runtime.current()
    wait_for_redis(current.redis)
    if arguments.sweep_every > 0:
        threading.Thread(target=sweep_forever, args=(arguments.sweep_every,),
                         daemon=True).start()
    if arguments.burst:
        drain_once(current)
    else:
        threading.Thread(target=drain_forever, args=(current, threading.Event()),
                         name="drain", daemon=True).start()
    while True:
        # Maintenance every 30 s rather than RQ's 10 min: it takes over the scheduler of a
        # worker that died (so retries of its abandoned jobs run) within a minute or two.
        worker = ClaimsWorker([CLAIMS_QUEUE], connection=current.redis,
                              maintenance_interval=30)
        try:
            # The scheduler brings retries back after their back-off interval.
            worker.work(burst=arguments.burst, logging_level="WARNING", with_scheduler=True)
            return
        except StopRequested:
            # Asked to stop while RQ tore down after losing Redis: its signal handler raises
            # this wherever the worker is idle, here while it joined its scheduler process
            # (seen under load: the worker then ended with exit code 1 and a traceback).
            return
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if worker.stop_asked:
                # Stopped as Redis stopped too (`make run`'s Ctrl-C stops both at once): RQ's
                # last words to Redis failed. Waiting for Redis would outlive the stop, until
                # honcho killed the worker 5 s later.
                return
            # Redis went away: the claims wait safely in the database; so does this worker.
            log.warning("lost Redis (%s); waiting for it to come back", type(error).__name__)
            if not _redis_back_before_stop(worker, current.redis):
                return


def _redis_back_before_stop(worker: ClaimsWorker, connection: redis.Redis) -> bool:
    """Waits for Redis; False if the worker is asked to stop first. RQ's signal handlers
    are still in place: they raise StopRequested here, or only note the stop."""
    try:
        return wait_for_redis(connection, float("inf"), stopped=lambda: worker.stop_asked)
    except StopRequested:
        return False


if __name__ == "__main__":
    main()
