"""The drain loop each worker process runs beside its RQ worker: it waits for due claims
(BZPOPMIN) and decides them in batches, one transaction each. Why this loses no claim is
written beside DUE_CLAIMS in workflows/queues.py."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

import redis

from claims.core.vocabulary import NoticeKind
from claims.processing.assessment import assess_claims, still_submitted
from workflows.queues import dispatch_due, enqueue_assessment, enqueue_notice, take_due
from workflows.runtime import Runtime

log = logging.getLogger(__name__)
# How long one BZPOPMIN waits before the loop looks at its stop flag again.
WAIT = 2.0
# A loop that took claims this recently is in a busy stretch.
BUSY_WITHIN = 1.0


class Gathering:
    """How long a loop holding one due claim waits for others to share its transaction:
    the configured time while claims keep coming, none after a quiet spell. Under load a
    batch of one costs nearly what a batch of twenty does (a transaction, its reads, its
    round trips); a lone claim on a quiet day would wait for nothing."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last_taken = -math.inf

    def now(self) -> float:
        """Called with the first claim in hand."""
        return self.seconds if self._clock() - self._last_taken < BUSY_WITHIN else 0.0

    def taken(self) -> None:
        self._last_taken = self._clock()


def drain_forever(current: Runtime, stop: threading.Event) -> None:
    gathering = Gathering(current.settings.assessment_gather_ms / 1000)
    while not stop.is_set():
        try:
            claim_ids = take_due(current.redis, current.settings.assessment_batch, wait=WAIT,
                                 gather=gathering.now)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            # Redis away: the claims wait in the database; the sweeper re-adds them.
            log.warning("drain: lost Redis (%s); trying again", type(error).__name__)
            stop.wait(1.0)
            continue
        except Exception:
            # Whatever else: the loop is this worker's only decider, so it never ends here.
            log.exception("drain: could not take due claims; trying again")
            stop.wait(1.0)
            continue
        if claim_ids:
            gathering.taken()
            decide_batch(current, claim_ids)


def drain_once(current: Runtime) -> int:
    """Decide every claim due now and return how many were taken (tests, burst mode)."""
    taken = 0
    while claim_ids := take_due(current.redis, current.settings.assessment_batch):
        taken += len(claim_ids)
        decide_batch(current, claim_ids)
    return taken


def decide_batch(current: Runtime, claim_ids: list[int]) -> int:
    try:
        outcomes = assess_claims(current.session_factory, claim_ids)
    except Exception as error:
        # A transient fault, or one claim the rules choke on: every claim of the batch goes
        # the one-by-one way, with its own retries and, if those fail, a clerk.
        log.warning("batch of %d claims failed (%s); assessing them one by one",
                    len(claim_ids), type(error).__name__)
        try:
            for claim_id in claim_ids:
                enqueue_assessment(current.redis, claim_id)
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            log.warning("could not queue them either; the sweeper will")
        return 0
    # Claims another transaction held when the batch began are due again at once, rather
    # than waiting for the sweeper.
    for claim_id in still_submitted(current.session_factory,
                                    [c for c in claim_ids if c not in outcomes]):
        try:
            dispatch_due(current.redis, claim_id)
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            log.warning("claim %s not queued again; the sweeper will", claim_id)
    # The decisions are committed: only now may the passengers hear of them.
    for claim_id, outcome in outcomes.items():
        if outcome.notify:
            try:
                enqueue_notice(current.redis, claim_id, NoticeKind.DECISION)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                log.warning("notice of claim %s not queued; the sweeper will", claim_id)
    return len(outcomes)
