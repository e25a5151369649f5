"""Proactive compensation in the reports: how much was paid without a claim, what became
of the offers, how long from the late arrival to the money, what stayed unclaimed, and
the clerk time the proactive path saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ClaimStatus, EventKind
from claims.db.models import Claim, ClaimEffort, ClaimEvent, JourneyCheck
from claims.reporting.reports import ReportFilter, filter_on, records_in

E = ClaimEffort
SessionFactory = sessionmaker[Session]
# The outcomes of a check that leave an eligible journey with no offer (claims.processing.
# proactive.Outcome): the operator's mode is off, or a clerk must look first.
NOT_OFFERED = ("off", "invited")


@dataclass(frozen=True)
class ProactiveFigures:
    proactive_claims: int
    paid_share: float | None          # of the claims paid, the share paid without a claim
    offers: int
    accepted: int
    declined: int
    withdrawn: int
    ignored: int                      # still open: neither accepted nor declined
    delay_to_money_hours: float | None  # median, from the late arrival to the payout
    unclaimed: int                    # eligible journeys with neither a claim nor an offer
    unclaimed_amounts: tuple[tuple[str, Decimal], ...]
    clerk_minutes_saved: float        # see _clerk_minutes_saved


def proactive_figures(session_factory: SessionFactory,
                      wanted: ReportFilter) -> ProactiveFigures:
    with session_factory() as session:
        where = records_in(wanted, session)
        proactive = and_(where, E.path == "proactive")
        total, paid = session.execute(select(
            func.count(), func.count().filter(E.paid)).where(proactive)).one()
        all_paid = session.scalar(select(func.count()).where(where, E.paid)) or 0
        by_status = dict(session.execute(select(E.status, func.count()).where(proactive)
                                         .group_by(E.status)).all())
        offers, accepted = (session.scalar(select(func.count(func.distinct(
            ClaimEvent.claim_id))).join(E, E.claim_id == ClaimEvent.claim_id)
            .where(where, ClaimEvent.kind == kind)) or 0
            for kind in (EventKind.OFFER_MADE, EventKind.OFFER_ACCEPTED))
        unclaimed, amounts = _unclaimed(session, wanted)
        return ProactiveFigures(
            proactive_claims=total, paid_share=paid / all_paid if all_paid else None,
            offers=offers, accepted=accepted,
            declined=by_status.get(ClaimStatus.DECLINED, 0),
            withdrawn=by_status.get(ClaimStatus.WITHDRAWN, 0),
            ignored=by_status.get(ClaimStatus.OFFERED, 0),
            delay_to_money_hours=_delay_to_money(session, proactive),
            unclaimed=unclaimed, unclaimed_amounts=amounts,
            clerk_minutes_saved=_clerk_minutes_saved(session, where, proactive))


def _delay_to_money(session: Session, proactive: ColumnElement[bool]) -> float | None:
    """Arrival times are local instants kept as text (with their offset): the median is
    taken here, over the claims paid proactively."""
    rows = session.execute(select(JourneyCheck.arrived_at, E.submitted_at, E.payout_seconds)
                           .join(E, E.claim_id == JourneyCheck.claim_id)
                           .where(proactive, E.payout_seconds.is_not(None))).all()
    hours = [(submitted + timedelta(seconds=paid_after or 0) - arrived).total_seconds()
             / 3600 for arrived, submitted, paid_after in rows]
    return median(hours) if hours else None


def _unclaimed(session: Session, wanted: ReportFilter
               ) -> tuple[int, tuple[tuple[str, Decimal], ...]]:
    """Eligible journeys nobody claimed and nobody offered: in the UK about two thirds of
    the eligible passengers never claim. Counted by when the data showed the delay."""
    claimed = exists().where(Claim.booking_id == JourneyCheck.booking_id,
                             Claim.direction == JourneyCheck.direction)
    conditions = [JourneyCheck.eligible.is_(True), JourneyCheck.outcome.in_(NOT_OFFERED),
                  ~claimed, filter_on(wanted, session, at=JourneyCheck.checked_at,
                                      regime=JourneyCheck.regime,
                                      operator_id=JourneyCheck.operator_id)]
    rows = session.execute(select(JourneyCheck.currency, func.count(), JourneyCheck.amount)
                           .where(*conditions)
                           .group_by(JourneyCheck.currency, JourneyCheck.amount)).all()
    totals: dict[str, Decimal] = {}
    for currency, count, amount in rows:
        # Amounts are summed here, exactly: SQLite keeps them as text.
        totals[currency or "?"] = totals.get(currency or "?", Decimal("0.00")) + \
            (amount or Decimal("0.00")) * count
    return sum(count for _c, count, _a in rows), tuple(sorted(totals.items()))


def _clerk_minutes_saved(session: Session, where: ColumnElement[bool],
                         proactive: ColumnElement[bool]) -> float:
    """Proactive claims decided without a clerk, times the clerk minutes a claim filed on a
    booking costs on average in the same report: what the same claims would have cost had
    the passengers filed them (with their typed accounts, statements and name checks)."""
    without_clerk = session.scalar(select(func.count()).select_from(E).where(
        proactive, E.touchless_decision)) or 0
    filed = and_(where, E.path.in_(("touchless", "clerk")))
    mean_seconds = session.scalar(select(func.avg(E.clerk_seconds)).where(filed))
    return without_clerk * float(mean_seconds or 0) / 60

