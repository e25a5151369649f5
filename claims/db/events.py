"""The append-only claim event log: the source every effort figure is derived from."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Table
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, EventKind
from claims.db.bulk import insert_row
from claims.db.dialect import insert_or_ignore
from claims.db.engine import prepared
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


def page_view_key(kind: EventKind, at: datetime, *, claim_id: int | None = None,
                  booking_id: int | None = None, actor_id: int | None = None) -> str:
    """What makes a page view's event one of its minute: the kind, whose view (the claim,
    the booking, the clerk) and the minute it falls in."""
    minute = int(at.timestamp()) // 60
    return f"{kind}:{claim_id or ''}:{booking_id or ''}:{actor_id or ''}:{minute}"


def note_page_view(session: Session, kind: EventKind, actor: Actor, *,
                   claim_id: int | None = None, booking_id: int | None = None,
                   actor_id: int | None = None, **counts: Any) -> None:
    """The event of a page a GET shows, at most one per kind, claim (or booking, or
    clerk) and minute, kept so by the database: a page reloaded, polled or fetched by a
    script a thousand times a minute writes one row, however many run at once. The first
    view of a minute is what the effort record reads of it."""
    row = event_row(kind, actor, claim_id=claim_id, booking_id=booking_id,
                    actor_id=actor_id, **counts)
    row["view_key"] = page_view_key(kind, row["at"], claim_id=claim_id,
                                    booking_id=booking_id, actor_id=actor_id)
    connection = session.connection()
    connection.execute(_page_view_insert(connection.dialect.name), row)


def append_page_view(session_factory: sessionmaker[Session], kind: EventKind, actor: Actor,
                     **fields: Any) -> None:
    """note_page_view in a short transaction of its own (see append_event)."""
    with session_factory.begin() as session:
        note_page_view(session, kind, actor, **fields)


@cache
def _page_view_insert(dialect: str) -> Insert:
    return prepared(insert_or_ignore(dialect, cast(Table, ClaimEvent.__table__), "view_key"))
