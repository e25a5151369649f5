"""From a committed claim to a queued assessment, never losing the claim."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import redis
from rq import Queue
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import ClaimStatus, NoticeKind
from claims.db.types import utcnow
from claims.passengers import manual
from claims.passengers.filing import note_enqueue_failed
from claims.processing import erasure, payouts, proactive
from claims.processing.assessment import claims_due_for_assessment
from claims.processing.notices import notices_due
from claims.processing.scheduled_payouts import operators_due
from claims.reporting import effort_store
from common.settings import Settings
from workflows.queues import (
    CLAIMS_QUEUE,
    dispatch_due,
    due_already,
    enqueue_assessment,
    enqueue_invitation,
    enqueue_notice,
    enqueue_payout_run,
    enqueue_proactive_checks,
    forget_jobs,
)

log = logging.getLogger(__name__)
# A claim this old and still undecided may have a job lost with a dead worker.
STALE_AFTER = timedelta(seconds=60)
# Checkers the sweeper starts for operations records left waiting (an import whose own
# start failed): the import starts one per worker itself.
PROACTIVE_CHECKERS = 2


def dispatch_assessment(session_factory: sessionmaker[Session], connection: redis.Redis,
                        claim_id: int) -> bool:
    """Call only after the claim's commit. If Redis is down the claim stays submitted,
    the failure is logged as an event, and the sweeper queues it later."""
    try:
        dispatch_due(connection, claim_id)
        return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("enqueue of claim %s failed, the sweeper will retry: %s", claim_id,
                    type(error).__name__)
        note_enqueue_failed(session_factory, claim_id)
        return False


def notify(connection: redis.Redis, claim_id: int, kind: NoticeKind) -> None:
    """Call only after the commit. If Redis is down, the sweeper sends the notice later."""
    try:
        enqueue_notice(connection, claim_id, kind)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("notice %s of claim %s not queued, the sweeper will retry: %s", kind,
                    claim_id, type(error).__name__)


def start_proactive_checks(connection: redis.Redis, parallel: int) -> None:
    """Call after an operations import's commit. If Redis is down, the records wait in the
    database, and the sweeper starts the checkers."""
    try:
        enqueue_proactive_checks(connection, parallel)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("proactive check not queued, the sweeper will start it: %s",
                    type(error).__name__)


def announce(connection: redis.Redis, result: proactive.CheckResult) -> None:
    """The batch is committed: queue its offers, decisions and invitations. Whatever Redis
    refuses, the sweeper finds unsent and queues later."""
    try:
        for claim_id in result.offers:
            enqueue_notice(connection, claim_id, NoticeKind.OFFER)
        for claim_id in result.decisions:
            enqueue_notice(connection, claim_id, NoticeKind.DECISION)
        for booking_id, direction in result.invitations:
            enqueue_invitation(connection, booking_id, direction)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("notices of a proactive batch not queued, the sweeper will: %s",
                    type(error).__name__)


def announce_payouts(connection: redis.Redis, summaries: Iterable[payouts.RunSummary]) -> None:
    """Call after the runs' commit: the passengers hear they were paid. Whatever Redis
    refuses, the sweeper finds unsent and queues later."""
    try:
        for run in summaries:
            for claim_id in run.claim_ids:
                enqueue_notice(connection, claim_id, NoticeKind.PAYOUT)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("payout notices not queued, the sweeper will: %s", type(error).__name__)


def sweep(session_factory: sessionmaker[Session], connection: redis.Redis,
          now: datetime | None = None) -> int:
    """Queue every claim that is due and not decided, and every notice not yet sent;
    returns how many assessments were queued anew."""
    # Jobs of workers that died mid-job (kill -9, a lost host) stop their heartbeat; RQ's
    # cleanup retries them or marks them failed, after which they can be queued again.
    Queue(CLAIMS_QUEUE, connection=connection).started_job_registry.cleanup()
    # The effort records follow the event log; the reports read them.
    effort_store.refresh(session_factory)
    for claim_id, kind in notices_due(session_factory):
        enqueue_notice(connection, claim_id, kind)
    for booking_id, direction in proactive.invitations_due(session_factory):
        enqueue_invitation(connection, booking_id, direction)
    if proactive.records_waiting(session_factory):
        enqueue_proactive_checks(connection, PROACTIVE_CHECKERS)
    # Operators whose scheduled payout run is due: a worker takes each (payout_runs).
    for operator_id in operators_due(session_factory, now or utcnow()):
        enqueue_payout_run(connection, operator_id, now or utcnow())
    due = claims_due_for_assessment(session_factory)
    waiting = due_already(connection, [claim_id for claim_id, status, _ in due
                                       if status == ClaimStatus.SUBMITTED])
    stale_before = utcnow() - STALE_AFTER
    queued = 0
    for claim_id, status, submitted_at in due:
        if status == ClaimStatus.SUBMITTED:
            # Not waiting in Redis: its add failed, or its drain loop died holding it (or a
            # live loop is deciding it right now: added again, it is taken and skipped).
            if claim_id not in waiting:
                dispatch_due(connection, claim_id)
                queued += 1
        # Left assessing: its one-by-one job may have died with its worker.
        elif enqueue_assessment(connection, claim_id,
                                rescue_stale=submitted_at < stale_before):
            queued += 1
    return queued


RETENTION_LOCK = "effortless:retention-ran"


def forget_erased(settings: Settings, connection: redis.Redis, erased: erasure.Erased) -> None:
    """Call after the erasure's commit: the erased claims' and bookings' files (uploads,
    letters, outbox e-mails) and their jobs in Redis go too. If Redis is down, their jobs
    expire with RQ's result and failure TTLs (workflows.queues.FAILURE_TTL) and carry ids
    only."""
    erasure.delete_files(settings.instance_path, erased.files)
    try:
        forget_jobs(connection, erased.claim_ids, erased.booking_ids)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("jobs of %d erased claims not deleted from Redis: %s",
                    len(erased.claim_ids), type(error).__name__)


def erase_expired_data(session_factory: sessionmaker[Session], settings: Settings,
                       connection: redis.Redis, *, hourly: bool = True,
                       now: datetime | None = None) -> int:
    """The retention job: erase the personal data of claims closed or unanswered and of
    bookings never claimed, untouched for RETENTION_DAYS, batch by batch (claims.
    processing.erasure.erase_expired). `hourly`: at most once an hour across all workers
    (the sweepers); the CLI runs it at once. Returns how many claims were erased."""
    if hourly and not connection.set(RETENTION_LOCK, 1, nx=True, ex=3600):
        return 0
    erased = bookings = 0
    while batch := erasure.erase_expired(session_factory, days=settings.retention_days,
                                         now=now):
        forget_erased(settings, connection, batch)
        erased += len(batch.claim_ids)
        bookings += len(batch.booking_ids)
    erasure.delete_old_payment_files(settings.instance_path / "payouts",
                                     days=settings.retention_days, now=now)
    manual.forget_old_tickets(settings.instance_path / "uploads", now)
    if erased or bookings:
        log.info("retention: personal data of %d claims and %d bookings erased", erased,
                 bookings)
    return erased
