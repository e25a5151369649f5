"""The eligible journeys nobody claimed and nobody was offered for, added up per day they
were checked (unclaimed_days): the report reads a few hundred sums, where counting them
from the journey checks took 0.25 s over a million checks (and grows with every delay).

A day is noted due (claims.db.unclaimed_due) when one of its checks is written or
when a journey checked that day is claimed (the effort catch-up sees the claim's events);
the catch-up, holding the effort mark, works each due day out again from its checks. As
with effort_days, nothing is added to or taken from a sum by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from claims.db.dialect import one_of, utc_day
from claims.db.models import Claim, JourneyCheck, UnclaimedDay, UnclaimedDayDue
from claims.db.unclaimed_due import note_days
from claims.processing.proactive import Outcome
from claims.reporting.effort_days import CHUNK, as_date, on_days

# The outcomes of a check that leave an eligible journey with no offer: the operator's
# mode is off, or a clerk must look first.
NOT_OFFERED = (Outcome.OFF, Outcome.INVITED)
UNKNOWN_CURRENCY = "?"


def note_claimed(session: Session, claim_ids: Sequence[int]) -> None:
    """The days the journeys of these claims were checked, if they were: a claim takes
    its journey out of the unclaimed."""
    days: set[date] = set()
    for start in range(0, len(claim_ids), CHUNK):
        days.update(as_date(day) for day in session.execute(
            select(utc_day(JourneyCheck.checked_at)).distinct()
            .join(Claim, and_(Claim.booking_id == JourneyCheck.booking_id,
                              Claim.direction == JourneyCheck.direction))
            .where(one_of(session, Claim.id, claim_ids[start:start + CHUNK]))).scalars())
    note_days(session, days)


def due_since(session: Session) -> datetime | None:
    """When the oldest change not yet in the sums was noted."""
    return session.scalar(select(func.min(UnclaimedDayDue.noted_at)))


def roll_up_due(session: Session) -> None:
    """Every due day worked out again. The caller holds the effort mark, so no two
    roll-ups run at once; a day noted again meanwhile (its noted_at moved) stays due."""
    due = [(as_date(day), noted_at) for day, noted_at in session.execute(
        select(UnclaimedDayDue.day, UnclaimedDayDue.noted_at))]
    if not due:  # else no write at all: on SQLite even an empty DELETE takes the write lock
        return
    days = sorted(day for day, _noted in due)
    for start in range(0, len(days), CHUNK):
        _recompute(session, days[start:start + CHUNK])
    for day, noted_at in due:
        session.execute(delete(UnclaimedDayDue).where(UnclaimedDayDue.day == day,
                                                      UnclaimedDayDue.noted_at == noted_at))


def _recompute(session: Session, days: list[date]) -> None:
    session.execute(delete(UnclaimedDay).where(UnclaimedDay.day.in_(days)))
    claimed = exists().where(Claim.booking_id == JourneyCheck.booking_id,
                             Claim.direction == JourneyCheck.direction)
    day = utc_day(JourneyCheck.checked_at)
    rows = session.execute(
        select(day, JourneyCheck.operator_id, JourneyCheck.regime, JourneyCheck.currency,
               func.count(), JourneyCheck.amount)
        .where(JourneyCheck.eligible.is_(True), JourneyCheck.outcome.in_(NOT_OFFERED),
               ~claimed, on_days(JourneyCheck.checked_at, days))
        .group_by(day, JourneyCheck.operator_id, JourneyCheck.regime,
                  JourneyCheck.currency, JourneyCheck.amount))
    journeys: dict[tuple[date, int, str, str], int] = {}
    amounts: dict[tuple[date, int, str, str], Decimal] = {}
    for checked_on, operator_id, regime, currency, count, amount in rows:
        key = (as_date(checked_on), operator_id, regime, currency or UNKNOWN_CURRENCY)
        journeys[key] = journeys.get(key, 0) + count
        # Summed here, exactly: SQLite keeps amounts as text.
        amounts[key] = amounts.get(key, Decimal("0.00")) + (amount or Decimal("0.00")) * count
    if journeys:
        session.execute(insert(UnclaimedDay), [
            {"day": key[0], "operator_id": key[1], "regime": key[2], "currency": key[3],
             "journeys": count, "amount": amounts[key]} for key, count in journeys.items()])

