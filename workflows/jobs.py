"""RQ jobs: they take ids, reload state and call one service function."""

from __future__ import annotations

import logging
from datetime import datetime
from types import TracebackType
from typing import Any

from rq.job import Job

from claims.core.mail_labels import claim_mail, invitation_mail
from claims.core.vocabulary import NoticeKind
from claims.processing import proactive
from claims.processing.assessment import assess_claim, fail_assessment
from claims.processing.notices import mark_sent, pending_notice
from claims.processing.status_links import issue_link
from claims.reporting import effort_store
from workflows import runtime
from workflows.mail import compose, compose_invitation, deliver, wait_for_turn
from workflows.payout_runs import run_scheduled_payouts
from workflows.pipeline import announce
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
    return send_notice(runtime.current(), claim_id, NoticeKind(kind))


# The receipt ("we have your claim; you will get an e-mail with the decision") and the
# decision of one claim are sent one at a time, and the decision after the receipt: most
# claims are decided before the receipt's job runs.
ORDERED_NOTICES = frozenset({NoticeKind.RECEIPT, NoticeKind.DECISION})
NOTICE_LOCK = "effortless:notices:{claim_id}"


def send_notice(current: runtime.Runtime, claim_id: int, kind: NoticeKind, *,
                throttled: bool = True) -> bool:
    """The job's work, also for the demo seed, which leaves an offer in the outbox without
    Redis (throttled=False: one mail, and the seed must not start the embedded server).
    A decision whose receipt is still due sends the receipt first (under a lock per
    claim, which the receipt's own job takes too: it then finds the receipt sent)."""
    if not throttled or kind not in ORDERED_NOTICES:
        return _send_one(current, claim_id, kind, throttled=throttled)
    with current.redis.lock(NOTICE_LOCK.format(claim_id=claim_id), timeout=60,
                            blocking_timeout=20):
        if kind == NoticeKind.DECISION:
            _send_one(current, claim_id, NoticeKind.RECEIPT, throttled=throttled)
        return _send_one(current, claim_id, kind, throttled=throttled)


def _send_one(current: runtime.Runtime, claim_id: int, kind: NoticeKind, *,
              throttled: bool) -> bool:
    notice = pending_notice(current.session_factory, claim_id, kind)
    if notice is None:
        return False
    token = issue_link(current.session_factory, claim_id,
                       days=current.settings.status_link_days)
    if throttled:
        wait_for_turn(current.redis, current.settings.mail_rate)
    deliver(compose(notice, current.settings, token), current.settings,
            claim_mail(claim_id, kind))
    mark_sent(current.session_factory, claim_id, kind)
    return True


def send_invitation_job(booking_id: int, direction: str) -> bool:
    current = runtime.current()
    invitation = proactive.pending_invitation(current.session_factory, booking_id, direction)
    if invitation is None:
        return False
    wait_for_turn(current.redis, current.settings.mail_rate)
    deliver(compose_invitation(invitation, current.settings), current.settings,
            invitation_mail(booking_id, direction))
    proactive.mark_invited(current.session_factory, booking_id, direction)
    return True


def proactive_check_job() -> dict[str, int]:
    """Check the journeys of every operations record waiting, batch by batch, and queue
    what the passengers are to hear after each batch's commit."""
    current = runtime.current()
    total = proactive.check_all(current.session_factory,
                                lambda done: announce(current.redis, done))
    return {"records": total.records, "journeys": total.journeys, **total.outcomes}


def effort_catch_up_job() -> int:
    """The records of the claims with new events rebuilt (claims.reporting.effort_store); a
    sweeper's refresh in progress is not waited for: it is doing the same."""
    return effort_store.refresh(runtime.current().session_factory, wait=False)


def payout_run_job(operator_id: int, due_at: str) -> int:
    """The operator's scheduled payout run, due at `due_at` (ISO 8601, from the sweeper
    that found it due); returns how many runs it made (0: taken elsewhere, or none due)."""
    summaries = run_scheduled_payouts(runtime.current(), operator_id,
                                      datetime.fromisoformat(due_at))
    return len(summaries or ())


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
