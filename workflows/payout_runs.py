"""Scheduled payout runs on the workers: the sweepers queue a job for each operator whose
run is due (workflows.pipeline.sweep), and the job pays that operator's claims.

One run at a time across all hosts, twice over: a Redis lock per operator (with a time
limit, so a run whose host died frees it) keeps a second run of the same operator from
starting while one is paying; the database decides who takes a due run (claims.
processing.scheduled_payouts.take_due_run), so even with Redis away or its lock lost, one
due run is taken once. Paying itself never pays a claim twice (claims.processing.payouts)."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

import redis
from redis.exceptions import LockError
from sqlalchemy import select

from claims.db.models import Operator
from claims.processing.payouts import RunSummary, run_payouts
from claims.processing.scheduled_payouts import take_due_run
from workflows.pipeline import announce_payouts
from workflows.runtime import Runtime

log = logging.getLogger(__name__)
# Longer than any run takes; a host that died holding the lock frees it after this.
RUN_LOCK_SECONDS = 3600


def run_lock_name(operator_id: int) -> str:
    return f"effortless:payout-run:{operator_id}"


def run_scheduled_payouts(current: Runtime, operator_id: int,
                          now: datetime) -> list[RunSummary] | None:
    """The operator's due run, if this worker takes it; None when it was not due, taken
    by another, or a run of the operator is still paying."""
    lock = current.redis.lock(run_lock_name(operator_id), timeout=RUN_LOCK_SECONDS,
                              blocking=False)
    try:
        held: bool | None = bool(lock.acquire())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        held = None  # Redis away: the database alone decides
    if held is False:
        return None  # paying still; the run stays due and is queued again by a sweeper
    try:
        if not take_due_run(current.session_factory, operator_id, now,
                            ZoneInfo(current.settings.timezone)):
            return None
        with current.session_factory() as session:
            slug = session.scalar(select(Operator.slug).where(Operator.id == operator_id))
        summaries, problems = run_payouts(current.session_factory,
                                          current.settings.instance_path / "payouts",
                                          operator=slug)
        for problem in problems:
            log.warning("scheduled payout run of %s: %s", slug, problem)
        announce_payouts(current.redis, summaries)
        return summaries
    finally:
        if held:
            with suppress(redis.RedisError, LockError):
                lock.release()
