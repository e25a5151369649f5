"""RQ jobs: they take ids, reload state and call one service function."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from rq.job import Job

from claims.services import assess_claim, fail_assessment
from workflows import runtime

log = logging.getLogger(__name__)


def assess_claim_job(claim_id: int) -> str:
    return assess_claim(runtime.current().session_factory, claim_id).value


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
