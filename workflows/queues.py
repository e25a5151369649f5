"""Queue names and enqueueing with stable job ids, so one claim is never queued twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import redis
from rq import Callback, Queue, Retry, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from claims.core.vocabulary import Direction, NoticeKind

CLAIMS_QUEUE = "claims"
# An assessment takes milliseconds. The timeout also sets how soon the job of a worker that
# died is declared abandoned and retried: timeout + 60 s.
ASSESSMENT_TIMEOUT = 30
# Transient faults (a database restart, a lock timeout) get three more tries.
ASSESSMENT_RETRY = Retry(max=3, interval=[2, 10, 30])
# How long RQ keeps a failed job (its error, for rq-dashboard) before it expires: a week,
# not RQ's default year.
FAILURE_TTL = 7 * 24 * 3600


def assessment_job_id(claim_id: int) -> str:
    return f"assess-claim-{claim_id}"


def enqueue_assessment(connection: redis.Redis, claim_id: int, *,
                       rescue_stale: bool = False) -> bool:
    """Queue the claim's assessment; False when it is already queued or running.

    rescue_stale: a job marked queued that is in no queue was taken by a worker that died
    before starting it; queue it again. Jobs are idempotent, so a rare false alarm costs
    one redundant run, never a second decision."""
    return _enqueue_once(
        connection, "workflows.jobs.assess_claim_job", (claim_id,),
        assessment_job_id(claim_id), rescue_stale=rescue_stale, retry=ASSESSMENT_RETRY,
        result_ttl=3600, timeout=ASSESSMENT_TIMEOUT, failure_ttl=FAILURE_TTL,
        on_failure=Callback("workflows.jobs.assessment_failed"))


def _enqueue_once(connection: redis.Redis, function: str, args: tuple[object, ...],
                  job_id: str, *, rescue_stale: bool = False,
                  delay: timedelta = timedelta(0), **options: Any) -> bool:
    """Queue the job under its id unless a live job holds the id; a finished or failed
    one is replaced. False when a live job is there already. With a delay, the workers'
    scheduler queues it when the delay is over."""
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    try:
        if delay > timedelta(0):
            # enqueue_in names the job's timeout job_timeout; a "timeout" would be passed
            # to the function.
            scheduled = {("job_timeout" if key == "timeout" else key): value
                         for key, value in options.items()}
            queue.enqueue_in(delay, function, *args, job_id=job_id, unique=True, **scheduled)
        else:
            queue.enqueue_call(function, args=args, job_id=job_id, unique=True, **options)
        return True
    except DuplicateJobError:
        pass
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
    return _enqueue_once(connection, function, args, job_id, delay=delay, **options)


NOTICE_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


def notice_job_id(claim_id: int, kind: str) -> str:
    return f"notice-{kind}-{claim_id}"


def enqueue_notice(connection: redis.Redis, claim_id: int, kind: str) -> None:
    """Queue a notice; the job itself makes sure it goes out once per cause (a decision
    after an appeal is a new one)."""
    _enqueue_once(connection, "workflows.jobs.send_notice_job", (claim_id, str(kind)),
                  notice_job_id(claim_id, kind), retry=NOTICE_RETRY, result_ttl=3600,
                  timeout=60, failure_ttl=FAILURE_TTL)


# Deciding claims, fast on an idle day and in batches on a storm day. A committed claim
# is added to one Redis sorted set (scored by its id: a second add changes nothing). Every
# worker process runs one drain loop (workflows/drain.py) that waits on the set with
# BZPOPMIN and takes up to ASSESSMENT_BATCH claims at a time. Why no claim waits:
# - Redis wakes a client blocked in BZPOPMIN as soon as the set has a member, so a claim
#   added while any drain loop waits is taken at once; one added while all are busy is
#   taken when the first of them comes back for more. There is no wake-up to lose: no
#   slot, no lease, no job that has to be queued for the claim to be seen.
# - A claim popped by a process that dies before it commits is gone from Redis but still
#   submitted in the database: the sweeper adds it again (claims_due_for_assessment).
# - A claim whose add failed (Redis down) is found by the sweeper the same way.
# Deciding is idempotent (only submitted claims are taken, under a row lock), so a claim
# added twice is decided once.
DUE_CLAIMS = "effortless:claims:due"


def dispatch_due(connection: redis.Redis, claim_id: int) -> None:
    """Mark the committed claim due for a decision; a drain loop takes it at once."""
    connection.zadd(DUE_CLAIMS, {str(claim_id): claim_id}, nx=True)


def take_due(connection: redis.Redis, batch: int, *, wait: float = 0,
             gather: float | Callable[[], float] = 0) -> list[int]:
    """Up to `batch` due claims, oldest first; with `wait`, blocks up to that many seconds
    for the first one, then, with `gather`, that many seconds more for others to arrive
    (or as many as `gather()` says once the first is in)."""
    taken: list[int] = []
    if wait > 0:
        first: Any = connection.bzpopmin(DUE_CLAIMS, timeout=wait)
        if first is None:
            return taken
        taken.append(int(first[1]))  # (key, member, score)
        batch -= 1
        pause = gather() if callable(gather) else gather
        if pause > 0 and batch > 0 and connection.zcard(DUE_CLAIMS) < batch:
            time.sleep(pause)
    if batch > 0:
        popped: Any = connection.zpopmin(DUE_CLAIMS, batch)
        taken += [int(entry[0]) for entry in popped]  # (member, score)
    return taken


def due_already(connection: redis.Redis, claim_ids: list[int]) -> set[int]:
    """Which of these claims wait in the due set."""
    if not claim_ids:
        return set()
    scores = connection.zmscore(DUE_CLAIMS, [str(claim_id) for claim_id in claim_ids])
    return {claim_id for claim_id, score in zip(claim_ids, scores, strict=True)
            if score is not None}


# Proactive compensation: the records to check wait in the database; these jobs take them
# in batches until none is left. One job id per parallel checker, so an import queued
# twice (the CLI and the sweeper) runs no more checkers than that.
CHECK_TIMEOUT = 3600


def enqueue_proactive_checks(connection: redis.Redis, parallel: int) -> int:
    """Start up to `parallel` checkers; returns how many were queued anew."""
    return sum(_enqueue_once(connection, "workflows.jobs.proactive_check_job", (),
                             f"proactive-check-{n}", result_ttl=600, timeout=CHECK_TIMEOUT,
                             failure_ttl=FAILURE_TTL)
               for n in range(max(1, parallel)))


EFFORT_CATCH_UP_JOB = "effort-catch-up"


def effort_catch_up_by_worker(connection: redis.Redis, *,
                              delay: timedelta = timedelta(0)) -> bool:
    """The effort records brought up to the event log by a worker, for a report page that
    does not wait for it; one such job at a time (queued now, or already). `delay`: the
    time the newest events take to be read (effort_store.SETTLE), so that the job reads
    what the page saw waiting. False when no worker listens on the queue: nobody would
    run it."""
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    if not Worker.count(queue=queue):
        return False
    _enqueue_once(connection, "workflows.jobs.effort_catch_up_job", (), EFFORT_CATCH_UP_JOB,
                  delay=delay, result_ttl=60, timeout=600, failure_ttl=24 * 3600)
    return True


def invitation_job_id(booking_id: int, direction: str) -> str:
    return f"invitation-{booking_id}-{direction}"


def enqueue_invitation(connection: redis.Redis, booking_id: int, direction: str) -> None:
    _enqueue_once(connection, "workflows.jobs.send_invitation_job", (booking_id, direction),
                  invitation_job_id(booking_id, direction), retry=NOTICE_RETRY,
                  result_ttl=3600, timeout=60, failure_ttl=FAILURE_TTL)


def forget_jobs(connection: redis.Redis, claim_ids: Iterable[int],
                booking_ids: Iterable[int]) -> int:
    """Delete every job of these claims and bookings from Redis, whatever its state
    (queued, scheduled for a retry, failed with its error, finished with its result):
    erasure leaves nothing of them behind. Jobs carry ids only and are found by their
    stable ids; returns how many there were."""
    claims = list(claim_ids)
    job_ids = [assessment_job_id(claim_id) for claim_id in claims]
    job_ids += [notice_job_id(claim_id, kind) for claim_id in claims for kind in NoticeKind]
    job_ids += [invitation_job_id(booking_id, direction)
                for booking_id in booking_ids for direction in Direction]
    forgotten = 0
    for job in Job.fetch_many(job_ids, connection=connection):
        if job is not None:
            job.delete()
            forgotten += 1
    return forgotten


# A scheduled payout run: one job id per operator, so two sweepers that find the same run
# due queue it once; the job takes the run from the database (claims.processing.
# scheduled_payouts), which stays the guarantee if Redis forgot the job.
PAYOUT_RUN_TIMEOUT = 3600


def enqueue_payout_run(connection: redis.Redis, operator_id: int, due_at: datetime) -> bool:
    """At the front of the queue: the money does not wait behind a storm's e-mails, which
    go out at MAIL_RATE (10,000 decisions' mails held a due run back 500 s)."""
    return _enqueue_once(connection, "workflows.jobs.payout_run_job",
                         (operator_id, due_at.isoformat()), f"payout-run-{operator_id}",
                         result_ttl=600, timeout=PAYOUT_RUN_TIMEOUT,
                         failure_ttl=FAILURE_TTL, at_front=True)
