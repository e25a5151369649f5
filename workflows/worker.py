"""`python -m workflows.worker`: an RQ worker on the claims queue, the drain loop that
decides due claims in batches, and the sweeper.

Jobs run in the worker's own process (SimpleWorker): the database pool then lives as long
as the worker instead of being rebuilt for every job in a forked child."""

from __future__ import annotations

import argparse
import logging
import threading
import time

import redis
from rq import SimpleWorker

from workflows import runtime
from workflows.drain import drain_forever, drain_once
from workflows.pipeline import erase_expired_data, sweep
from workflows.queues import CLAIMS_QUEUE

log = logging.getLogger("workflows.worker")


def wait_for_redis(connection: redis.Redis, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ping()
            return
        except (redis.ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


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
        worker = SimpleWorker([CLAIMS_QUEUE], connection=current.redis, maintenance_interval=30)
        try:
            # The scheduler brings retries back after their back-off interval.
            worker.work(burst=arguments.burst, logging_level="WARNING", with_scheduler=True)
            return
        except (redis.ConnectionError, redis.TimeoutError) as error:
            # Redis went away: the claims wait safely in the database; so does this worker.
            log.warning("lost Redis (%s); waiting for it to come back", type(error).__name__)
            wait_for_redis(current.redis, seconds=float("inf"))


if __name__ == "__main__":
    main()
