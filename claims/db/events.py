"""The append-only claim event log: the source every effort figure is derived from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, EventKind
from claims.db.bulk import insert_row
from claims.db.models import ClaimEvent
from claims.db.types import utcnow


def record_event(session: Session, kind: EventKind, actor: Actor, *,
                 claim_id: int | None = None, booking_id: int | None = None,
                 actor_id: int | None = None, **counts: Any) -> None:
    """Counts and durations only: never what a passenger typed."""
    session.add(ClaimEvent(kind=kind, actor=actor, actor_id=actor_id, claim_id=claim_id,
                           booking_id=booking_id, counts=counts))


def append_event(session_factory: sessionmaker[Session], kind: EventKind, actor: Actor,
                 **fields: Any) -> None:
    """One event in a short transaction of its own: for use cases that otherwise only read,
    so that their reading never holds the write lock."""
    with session_factory.begin() as session:
        insert_event(session, kind, actor, **fields)


def insert_event(session: Session, kind: EventKind, actor: Actor, *,
                 claim_id: int | None = None, booking_id: int | None = None,
                 actor_id: int | None = None, **counts: Any) -> None:
    """record_event as a plain insert (claims.db.bulk.insert_row), for the passenger's
    path: the pages every passenger opens and the submit."""
    insert_row(session, ClaimEvent, event_row(kind, actor, claim_id=claim_id,
                                              booking_id=booking_id, actor_id=actor_id,
                                              **counts))


def event_row(kind: EventKind, actor: Actor, *, claim_id: int | None = None,
              booking_id: int | None = None, actor_id: int | None = None,
              **counts: Any) -> dict[str, Any]:
    """An event's columns, all of them, happening now."""
    return {"kind": kind, "actor": actor, "at": utcnow(), "counts": counts,
            "claim_id": claim_id, "booking_id": booking_id, "actor_id": actor_id}
