"""Queue names and enqueueing with stable job ids, so one claim is never queued twice."""

from __future__ import annotations

from typing import Any

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
    return _enqueue_once(
        connection, "workflows.jobs.assess_claim_job", (claim_id,),
        assessment_job_id(claim_id), rescue_stale=rescue_stale, retry=ASSESSMENT_RETRY,
        result_ttl=3600, timeout=ASSESSMENT_TIMEOUT, failure_ttl=7 * 24 * 3600,
        on_failure=Callback("workflows.jobs.assessment_failed"))


def _enqueue_once(connection: redis.Redis, function: str, args: tuple[object, ...],
                  job_id: str, *, rescue_stale: bool = False, **options: Any) -> bool:
    """Queue the job under its id unless a live job holds the id; a finished or failed
    one is replaced. False when a live job is there already."""
    queue = Queue(CLAIMS_QUEUE, connection=connection)
    try:
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
    return _enqueue_once(connection, function, args, job_id, **options)


NOTICE_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


def enqueue_notice(connection: redis.Redis, claim_id: int, kind: str) -> None:
    """Queue a notice; the job itself makes sure it goes out once per cause (a decision
    after an appeal is a new one)."""
    _enqueue_once(connection, "workflows.jobs.send_notice_job", (claim_id, str(kind)),
                  f"notice-{kind}-{claim_id}", retry=NOTICE_RETRY, result_ttl=3600,
                  timeout=60)


# The storm-day path. A claim to decide is added to one Redis sorted set (scored by claim
# id, so a double dispatch adds it once); up to DRAIN_SLOTS drain jobs take batches from
# it. A slot is a key with a lease: taken by the dispatch that finds one free, renewed by
# its job at every batch, given up when the set is empty. Because dispatch adds before it
# looks for a slot, and a job gives its slot up before it looks at the set once more, a
# claim in the set always has a job that will take it. A job that dies takes the claims it
# held with it only from Redis: they are still submitted in the database, where the
# sweeper finds them.
DUE_CLAIMS = "effortless:claims:due"
DRAIN_SLOT = "effortless:claims:drain:{}"
# More slots than workers only leaves some drain jobs waiting; fewer would idle workers.
DRAIN_SLOTS = 8
DRAIN_LEASE = 120  # seconds; a dead worker's slot is free again after this
DRAIN_TIMEOUT = 300

_ADD_AND_TAKE_SLOT = """
if ARGV[1] == '' then
  -- the sweeper: only when claims wait and no drain job holds a slot any more
  if redis.call('EXISTS', unpack(KEYS, 2)) > 0 then return -1 end
elseif redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[1]) == 0 then
  return -1
end
if redis.call('ZCARD', KEYS[1]) == 0 then return -1 end
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then return i - 2 end
end
return -1
"""
_GIVE_UP_SLOT = """
redis.call('DEL', KEYS[2])
if redis.call('ZCARD', KEYS[1]) > 0 and redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1])
then return 1 end
return 0
"""


def dispatch_due(connection: redis.Redis, claim_id: int | None) -> None:
    """Mark the claim due for a batch decision, and start a drain job if a slot is free.
    Without a claim: start one if claims wait and no drain job holds a slot (their leases
    ran out: their workers died)."""
    slots = [DRAIN_SLOT.format(n) for n in range(DRAIN_SLOTS)]
    slot = int(connection.eval(_ADD_AND_TAKE_SLOT, len(slots) + 1, DUE_CLAIMS, *slots,
                               "" if claim_id is None else claim_id, DRAIN_LEASE))
    if slot >= 0:
        enqueue_drain(connection, slot)


def enqueue_drain(connection: redis.Redis, slot: int) -> None:
    Queue(CLAIMS_QUEUE, connection=connection).enqueue_call(
        "workflows.jobs.drain_due_claims_job", args=(slot,), timeout=DRAIN_TIMEOUT,
        result_ttl=600, failure_ttl=7 * 24 * 3600)


def take_due(connection: redis.Redis, slot: int, batch: int) -> list[int]:
    """Up to `batch` due claims, oldest first, renewing the slot's lease."""
    with connection.pipeline() as pipe:
        pipe.zpopmin(DUE_CLAIMS, batch)
        pipe.expire(DRAIN_SLOT.format(slot), DRAIN_LEASE)
        popped, _ = pipe.execute()
    return [int(member) for member, _score in popped]


def keep_slot(connection: redis.Redis, slot: int) -> bool:
    """Give the slot up; True when claims arrived meanwhile and the slot is ours again."""
    return bool(connection.eval(_GIVE_UP_SLOT, 2, DUE_CLAIMS, DRAIN_SLOT.format(slot),
                                DRAIN_LEASE))


def due_already(connection: redis.Redis, claim_ids: list[int]) -> set[int]:
    """Which of these claims wait in the due set."""
    if not claim_ids:
        return set()
    scores = connection.zmscore(DUE_CLAIMS, [str(claim_id) for claim_id in claim_ids])
    return {claim_id for claim_id, score in zip(claim_ids, scores, strict=True)
            if score is not None}
