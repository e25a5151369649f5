"""RQ jobs: they take ids, reload state and call one service function."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from rq.job import Job

from claims.core.vocabulary import NoticeKind
from claims.processing.assessment import assess_claim, assess_claims, fail_assessment
from claims.processing.notices import mark_sent, pending_notice
from workflows import runtime
from workflows.mail import compose, deliver
from workflows.queues import (
    enqueue_assessment,
    enqueue_drain,
    enqueue_notice,
    keep_slot,
    take_due,
)

log = logging.getLogger(__name__)
# Seconds a drain job works before it hands its slot to a fresh job at the back of the
# queue: other jobs (notices) get their turn, and no job comes near its timeout.
DRAIN_BUDGET = 30.0


def assess_claim_job(claim_id: int) -> str:
    current = runtime.current()
    outcome = assess_claim(current.session_factory, claim_id)
    # The decision is committed: only now may the passenger hear of it.
    if outcome.notify:
        enqueue_notice(current.redis, claim_id, NoticeKind.DECISION)
    return outcome.status.value


def drain_due_claims_job(slot: int) -> int:
    """Decide due claims batch by batch until none are left; returns how many."""
    current = runtime.current()
    started = time.monotonic()
    decided = 0
    while True:
        claim_ids = take_due(current.redis, slot, current.settings.assessment_batch)
        if claim_ids:
            decided += _decide_batch(current, claim_ids)
            if time.monotonic() - started > DRAIN_BUDGET:
                enqueue_drain(current.redis, slot)  # the slot stays taken, by the new job
                return decided
        elif not keep_slot(current.redis, slot):
            return decided


def _decide_batch(current: runtime.Runtime, claim_ids: list[int]) -> int:
    try:
        outcomes = assess_claims(current.session_factory, claim_ids)
    except Exception as error:
        # A transient fault, or one claim the rules choke on: every claim of the batch goes
        # the one-by-one way, with its own retries and, if those fail, a clerk.
        log.warning("batch of %d claims failed (%s); assessing them one by one",
                    len(claim_ids), type(error).__name__)
        for claim_id in claim_ids:
            enqueue_assessment(current.redis, claim_id)
        return 0
    # The decisions are committed: only now may the passengers hear of them.
    for claim_id, outcome in outcomes.items():
        if outcome.notify:
            enqueue_notice(current.redis, claim_id, NoticeKind.DECISION)
    return len(outcomes)


def send_notice_job(claim_id: int, kind: str) -> bool:
    """Send one notice once. A crash between sending and recording may send it twice;
    never zero times."""
    current = runtime.current()
    notice = pending_notice(current.session_factory, claim_id, NoticeKind(kind))
    if notice is None:
        return False
    deliver(compose(notice, current.settings), current.settings, f"claim-{claim_id}-{kind}")
    mark_sent(current.session_factory, claim_id, NoticeKind(kind))
    return True


def assessment_failed(job: Job, connection: Any, error_type: type[BaseException],
                      error: BaseException, traceback: TracebackType) -> None:
    """RQ calls this after every failed try; only the last one sends the claim to a clerk."""
    if job.retries_left:
        return
    claim_id = int(job.args[0])
    log.error("assessment of claim %s failed for good: %s", claim_id, error_type.__name__)
    fail_assessment(runtime.current().session_factory, claim_id, error_type.__name__)


def noop_job() -> None:
    """Does nothing: the bench measures the queue's own ceiling with it."""
