"""From a committed claim to a queued assessment, never losing the claim."""

from __future__ import annotations

import logging

import redis
from sqlalchemy.orm import Session, sessionmaker

from claims.notices import notices_due
from claims.services import claims_due_for_assessment, note_enqueue_failed
from workflows.queues import enqueue_assessment, enqueue_notice

log = logging.getLogger(__name__)


def dispatch_assessment(session_factory: sessionmaker[Session], connection: redis.Redis,
                        claim_id: int) -> bool:
    """Call only after the claim's commit. If Redis is down the claim stays submitted,
    the failure is logged as an event, and the sweeper queues it later."""
    try:
        enqueue_assessment(connection, claim_id)
        return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        log.warning("enqueue of claim %s failed, the sweeper will retry: %s", claim_id,
                    type(error).__name__)
        note_enqueue_failed(session_factory, claim_id)
        return False


def sweep(session_factory: sessionmaker[Session], connection: redis.Redis) -> int:
    """Queue every claim that is due and not decided, and every notice not yet sent;
    returns how many assessments were queued anew."""
    for claim_id, kind in notices_due(session_factory):
        enqueue_notice(connection, claim_id, kind)
    return sum(1 for claim_id in claims_due_for_assessment(session_factory)
               if enqueue_assessment(connection, claim_id))
