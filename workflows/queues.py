"""Queue names and enqueueing with stable job ids, so one claim is never queued twice."""

from __future__ import annotations

import contextlib

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

CLAIMS_QUEUE = "claims"
# An assessment takes milliseconds. The timeout also sets how soon the job of a worker that
# died is declared abandoned and retried: timeout + 60 s.
ASSESSMENT_TIMEOUT = 30
# Transient faults (a database restart, a lock timeout) get three more tries.
ASSESSMENT_RETRY = Retry(max=3, interval=[2, 10, 30])


def assessment_job_id(claim_id: int) -> str:
    return f"assess-claim-{claim_id}"


def enqueue_assessment(connection: redis.Redis, claim_id: int, *,
                       rescue_stale: bool = False) -> bool:
    """Queue the claim's assessment; False when it is already queued or running.

    rescue_stale: a job marked queued that is in no queue was taken by a worker that died
    before starting it; queue it again. Jobs are idempotent, so a rare false alarm costs
    one redundant run, never a second decision."""
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    job_id = assessment_job_id(claim_id)
    try:
        queue.enqueue_call("workflows.jobs.assess_claim_job", args=(claim_id,), job_id=job_id,
                           unique=True, retry=ASSESSMENT_RETRY, result_ttl=3600,
                           timeout=ASSESSMENT_TIMEOUT,
                           failure_ttl=7 * 24 * 3600,
                           on_failure=Callback("workflows.jobs.assessment_failed"))
        return True
    except DuplicateJobError:
        pass
    # The id is taken: by a live job (leave it) or by a finished one (replace it).
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    except NoSuchJobError:
        status = None
    stale = (rescue_stale and status == JobStatus.QUEUED
             and connection.lpos(queue.key, job_id) is None)
    if status in {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED,
                  JobStatus.SCHEDULED} and not stale:
        return False
    if status is not None:
        Job.fetch(job_id, connection=connection).delete()
    return enqueue_assessment(connection, claim_id)


NOTICE_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


def enqueue_notice(connection: redis.Redis, claim_id: int, kind: str) -> None:
    """Queue a notice; the job itself makes sure it goes out once."""
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    with contextlib.suppress(DuplicateJobError):
        queue.enqueue_call("workflows.jobs.send_notice_job", args=(claim_id, str(kind)),
                           job_id=f"notice-{kind}-{claim_id}", unique=True,
                           retry=NOTICE_RETRY, result_ttl=3600, timeout=60)
