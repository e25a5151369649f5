"""RQ jobs: they take ids, reload state and call one service function."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from rq.job import Job

from claims.core.vocabulary import NoticeKind
from claims.processing.assessment import assess_claim, fail_assessment
from claims.processing.notices import mark_sent, pending_notice
from claims.processing.status_links import issue_link
from workflows import runtime
from workflows.mail import compose, deliver
from workflows.queues import enqueue_notice

log = logging.getLogger(__name__)


def assess_claim_job(claim_id: int) -> str:
    current = runtime.current()
    outcome = assess_claim(current.session_factory, claim_id)
    # The decision is committed: only now may the passenger hear of it.
    if outcome.notify:
        enqueue_notice(current.redis, claim_id, NoticeKind.DECISION)
    return outcome.status.value


def send_notice_job(claim_id: int, kind: str) -> bool:
    """Send one notice once. A crash between sending and recording may send it twice;
    never zero times."""
    current = runtime.current()
    notice = pending_notice(current.session_factory, claim_id, NoticeKind(kind))
    if notice is None:
        return False
    token = issue_link(current.session_factory, claim_id,
                       days=current.settings.status_link_days)
    deliver(compose(notice, current.settings, token), current.settings,
            f"claim-{claim_id}-{kind}")
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
