"""Keeping the effort records in step with the event log: read the events past the mark,
rebuild the records of the claims they touch, move the mark. Idempotent: rebuilding a
record from the same events gives the same record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import cast

from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.effort import COUNTED_KINDS, ClaimFacts, LoggedEvent, effort_record
from claims.core.vocabulary import EventKind, Origin
from claims.db.bulk import insert_many
from claims.db.dialect import (
    driver_rows,
    insert_on_conflict,
    insert_or_ignore,
    one_of,
    )
from claims.db.models import (
    Booking,
    Claim,
    ClaimEffort,
    ClaimEvent,
    EffortDriver,
    EffortProgress,
    StartedClaim,
)
from claims.db.types import utcnow
from claims.reporting import effort_days, unclaimed_days
from common.collector import collector_paused

SessionFactory = sessionmaker[Session]
# Rebuilds the records of the claims, and runs the work given meanwhile (in the caller's
# transaction) while it waits for them.
Meanwhile = Callable[[], None]
Build = Callable[[Session, Sequence[int], Meanwhile], None]
# Events younger than this may still have older ids committing around them: wait for them.
SETTLE = timedelta(seconds=5)
CHUNK = 1000
NO_COUNTS: MappingProxyType[str, object] = MappingProxyType({})
# Steps on a booking before its claim exists: they belong to the claim filed from it.
BEFORE_THE_CLAIM = (EventKind.BOOKING_FOUND, EventKind.CLAIM_FORM_SHOWN,
                    EventKind.CLAIM_FORM_REJECTED)


def refresh(session_factory: SessionFactory, *, events: int = 200_000,
            settle: timedelta | None = None, build: Build | None = None,
            wait: bool = True, roll_up: bool = True) -> int:
    """Rebuild the records of claims with events past the mark; returns how many. `build`
    rebuilds them (by default in this transaction; see effort_parallel). Without `wait`,
    nothing is done while another refresh holds the mark (PostgreSQL): a page does not
    wait for a sweeper's catch-up, which may take seconds. Without `roll_up`, the days of
    the records are only noted, for a later refresh to add up (effort_catch_up.refresh_all,
    at its end)."""
    settle = SETTLE if settle is None else settle
    with session_factory.begin() as session:
        progress = locked_progress(session, wait=wait)
        if progress is None:
            return 0
        done = _rebuild_past(session, progress, events, settle, build or rebuild_then)
        if roll_up:
            # Days noted by this refresh, or by a build that stopped before its end.
            effort_days.roll_up_due(session)
            unclaimed_days.roll_up_due(session)
        return done


def _rebuild_past(session: Session, progress: EffortProgress, events: int,
                  settle: timedelta, build: Build) -> int:
    start = progress.event_id
    newest = session.scalar(select(func.max(ClaimEvent.id))
                            .where(ClaimEvent.at < utcnow() - settle)) or 0
    upto = min(newest, start + events)
    if upto <= start:
        return 0
    window = (ClaimEvent.id > start) & (ClaimEvent.id <= upto)
    claim_ids = set(session.scalars(select(ClaimEvent.claim_id).distinct().where(
        window, ClaimEvent.claim_id.is_not(None))))
    bookings = select(ClaimEvent.booking_id).distinct().where(
        window, ClaimEvent.claim_id.is_(None), ClaimEvent.booking_id.is_not(None))
    claim_ids |= set(session.scalars(select(Claim.id).where(Claim.booking_id.in_(bookings))))
    rebuilt = sorted(i for i in claim_ids if i is not None)

    def meanwhile() -> None:
        # Neither reads the records: done while builder processes write them, on the core
        # they leave idle between slices (2.0-2.7 s of a 10 s build of 100,000 claims).
        unclaimed_days.note_claimed(session, rebuilt)
        _note_started(session, window)

    build(session, rebuilt, meanwhile)
    effort_days.note_due(session, rebuilt)  # reads the days of the records just built
    progress.event_id = upto
    return len(rebuilt)


def rebuild_window(session_factory: SessionFactory, after: int, upto: int) -> int:
    """The records of the claims with events in (after, upto], without moving the mark:
    for events written with times in the past by a long transaction (the demo's history),
    which the mark may have passed while they were not yet committed."""
    with session_factory.begin() as session:
        locked_progress(session)
        window = (ClaimEvent.id > after) & (ClaimEvent.id <= upto)
        claim_ids = sorted({claim_id for claim_id in session.scalars(
            select(ClaimEvent.claim_id).distinct().where(window, ClaimEvent.claim_id.is_not(None)))
            if claim_id is not None})
        rebuild(session, claim_ids)
        effort_days.roll_up(session, claim_ids)
        unclaimed_days.note_claimed(session, claim_ids)
        unclaimed_days.roll_up_due(session)
        _note_started(session, window)
        return len(claim_ids)


def locked_progress(session: Session, *, wait: bool = True) -> EffortProgress | None:
    """The mark, locked: every rebuild holds it, so two never delete and insert the same
    claim's record at once (both would find no row and insert: a duplicate key). Migration
    0017 makes the row; a database emptied by hand gets it back here. Without `wait`,
    None while another transaction holds it (SKIP LOCKED; SQLite locks no rows)."""
    if not wait:
        progress = session.get(EffortProgress, 1, with_for_update={"skip_locked": True})
        if progress is not None or session.get(EffortProgress, 1) is not None:
            return progress  # None: there, but locked
    progress = session.get(EffortProgress, 1, with_for_update=True)
    if progress is None:
        session.execute(insert_on_conflict(session.get_bind().dialect.name,
                                           cast(Table, EffortProgress.__table__))
                        .values(id=1, event_id=0).on_conflict_do_nothing())
        progress = session.get(EffortProgress, 1, with_for_update=True)
    assert progress is not None
    return progress


def waiting_since(session_factory: SessionFactory) -> datetime | None:
    """When the oldest event not yet in the records was logged, or the oldest journey
    check not yet in the sums of unclaimed journeys (a check writes no event); None when
    the records and sums hold them all. A look-up on the event log's primary key and one
    on a table of a few rows, for a page to ask before it reads."""
    mark = select(EffortProgress.event_id).where(EffortProgress.id == 1).scalar_subquery()
    with session_factory() as session:
        waiting = [session.scalar(select(ClaimEvent.at).where(
            ClaimEvent.id > func.coalesce(mark, 0)).order_by(ClaimEvent.id).limit(1)),
            unclaimed_days.due_since(session)]
        return min((at for at in waiting if at is not None), default=None)


def behind(session_factory: SessionFactory, settle: timedelta) -> bool:
    with session_factory() as session:
        mark = session.scalar(select(EffortProgress.event_id).where(EffortProgress.id == 1)) or 0
        newest = session.scalar(select(func.max(ClaimEvent.id)).where(
            ClaimEvent.at < utcnow() - settle)) or 0
        return bool(newest > mark)


def _note_started(session: Session, window: ColumnElement[bool]) -> None:
    """Bookings whose claim form was opened in the window, and those filed in it: two
    statements on the server, however many bookings the window holds. A booking opened
    and filed in one window (most are: the form takes a minute) is written filed at once,
    so the second statement rewrites only the few filed in a later window (an update of
    every filed row cost a million-claim build 20 s)."""
    shown = ClaimEvent.kind == EventKind.CLAIM_FORM_SHOWN
    submitted = ClaimEvent.kind == EventKind.CLAIM_SUBMITTED
    opened = (select(ClaimEvent.booking_id, func.min(ClaimEvent.at).filter(shown),
                     Booking.operator_id, Booking.regime,
                     func.max(case((submitted, 1), else_=0)) == 1)
              .join(Booking, Booking.id == ClaimEvent.booking_id)
              .where(window, shown | submitted)
              .group_by(ClaimEvent.booking_id, Booking.operator_id, Booking.regime)
              .having(func.count().filter(shown) > 0))
    session.execute(insert_or_ignore(session.get_bind().dialect.name,
                                     cast(Table, StartedClaim.__table__), "booking_id")
                    .from_select(
        ["booking_id", "started_at", "operator_id", "regime", "filed"], opened))
    filed = select(ClaimEvent.booking_id).where(window, submitted,
                                                ClaimEvent.booking_id.is_not(None))
    session.connection().execute(update(StartedClaim).where(
        StartedClaim.booking_id.in_(filed), StartedClaim.filed.is_(False)).values(filed=True))


def rebuild_then(session: Session, claim_ids: Sequence[int], meanwhile: Meanwhile) -> None:
    """The Build of one process: the records rebuilt in this transaction, then the rest."""
    rebuild(session, claim_ids)
    meanwhile()


def rebuild(session: Session, claim_ids: Sequence[int]) -> None:
    # With a chunk's ten thousand rows alive, the collector would scan them again and again
    # (15 % of a build's time) and find no cycles.
    with collector_paused():
        for start in range(0, len(claim_ids), CHUNK):
            _rebuild_chunk(session, claim_ids[start:start + CHUNK])


def _rebuild_chunk(session: Session, claim_ids: Sequence[int]) -> None:
    # Core rows, not the ORM's: a build reads a claim and ten events for each record.
    connection = session.connection()
    claims = connection.execute(select(
        Claim.id, Claim.operator_id, Claim.regime, Claim.status, Claim.booking_id,
        Claim.manual_journey.is_not(None).label("manual"), Claim.submitted_at,
        Claim.decided_at, Claim.amount, Claim.reason_codes, Claim.ces_score, Claim.origin)
        .where(one_of(session, Claim.id, claim_ids))).all()
    booking_of = {row.id: row.booking_id for row in claims}
    by_claim: dict[int, list[LoggedEvent]] = {claim_id: [] for claim_id in booking_of}
    claim_of_booking = {booking: claim for claim, booking in booking_of.items() if booking}
    columns = (ClaimEvent.id, ClaimEvent.at, ClaimEvent.kind, ClaimEvent.actor,
               ClaimEvent.actor_id,
               case((ClaimEvent.kind.in_(COUNTED_KINDS), ClaimEvent.counts), else_=None),
               ClaimEvent.claim_id, ClaimEvent.booking_id)
    # Two queries, not one with OR: each then has its own index (claim, booking).
    rows = [*driver_rows(connection, select(*columns).where(
                one_of(session, ClaimEvent.claim_id, claim_ids))),
            *driver_rows(connection, select(*columns).where(
                one_of(session, ClaimEvent.booking_id, list(claim_of_booking)),
                ClaimEvent.claim_id.is_(None), ClaimEvent.kind.in_(BEFORE_THE_CLAIM)))]
    for event_id, at, kind, actor, actor_id, counts, claim_id, booking_id in rows:
        owner = claim_id if claim_id is not None else claim_of_booking.get(booking_id)
        if owner in by_claim:
            by_claim[owner].append(LoggedEvent(at, kind, actor, actor_id, counts or NO_COUNTS,
                                               event_id))
    records, drivers = [], []
    for row in claims:
        facts = ClaimFacts(claim_id=row.id, operator_id=row.operator_id, regime=row.regime,
                           status=row.status, manual=bool(row.manual),
                           submitted_at=row.submitted_at, decided_at=row.decided_at,
                           amount=row.amount, reason_codes=tuple(row.reason_codes or ()),
                           ces_score=row.ces_score, proactive=row.origin == Origin.PROACTIVE)
        record, claim_drivers = effort_record(facts, by_claim[facts.claim_id])
        records.append(record)
        drivers += [{"claim_id": facts.claim_id, "driver": d} for d in sorted(claim_drivers)]
    connection.execute(delete(EffortDriver).where(
        one_of(session, EffortDriver.claim_id, claim_ids)))
    connection.execute(delete(ClaimEffort).where(one_of(session, ClaimEffort.claim_id, claim_ids)))
    _insert(session, ClaimEffort, records)
    _insert(session, EffortDriver, drivers)


def _insert(session: Session,
            table: type[ClaimEffort] | type[EffortDriver],
            rows: Iterable[dict[str, object]]) -> None:
    # COPY on PostgreSQL: a million records are built in one pass over the event log.
    insert_many(session, table, list(rows))
