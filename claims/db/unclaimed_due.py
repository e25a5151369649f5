"""Days whose sums of unclaimed journeys (claims.reporting.unclaimed_days) are to be
worked out again: noted by whoever changes a journey check or claims a checked journey,
in that change's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from claims.db.dialect import insert_on_conflict
from claims.db.models import UnclaimedDayDue
from claims.db.types import utcnow


def note_checked(session: Session, instants: Iterable[datetime | None]) -> None:
    """The days (UTC) of checks written in this transaction, and of the times they replace."""
    note_days(session, {instant.astimezone(UTC).date() for instant in instants if instant})


def note_days(session: Session, days: set[date]) -> None:
    if not days:
        return
    statement = insert_on_conflict(session.get_bind().dialect.name,
                                   cast(Table, UnclaimedDayDue.__table__))
    # A later note moves the time: a roll-up under way then leaves the day due.
    session.execute(statement.on_conflict_do_update(
        index_elements=["day"], set_={"noted_at": statement.excluded.noted_at}),
        [{"day": day, "noted_at": utcnow()} for day in sorted(days)])
