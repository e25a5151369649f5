"""Proactive compensation in the reports: how much was paid without a claim, what became
of the offers, how long from the late arrival to the money, what stayed unclaimed, and
the clerk time the proactive path saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from claims.core.vocabulary import ClaimStatus, EventKind
from claims.db.models import ClaimEffort, ClaimEvent, JourneyCheck, UnclaimedDay
from claims.reporting.record_sums import Sums
from claims.reporting.reports import ReportFilter, days_in, records_in

E = ClaimEffort
SessionFactory = sessionmaker[Session]
U = UnclaimedDay


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


def proactive_figures(session_factory: SessionFactory, wanted: ReportFilter,
                      by_path_and_status: Mapping[tuple[str, str], Sums]) -> ProactiveFigures:
    """The figures of the report's claims (`by_path_and_status`: the report's sums, so
    the records are not scanned again) and the offers and checks behind them."""
    groups = [_Group(path, status, sums.claims, sums.paid, sums.touchless,
                     sums.clerk_seconds, sums.clerk_counted)
              for (path, status), sums in by_path_and_status.items()]
    with session_factory() as session:
        where = records_in(wanted, session)
        proactive = and_(where, E.path == "proactive")
        mine = [group for group in groups if group.path == "proactive"]
        all_paid = sum(group.paid for group in groups)
        by_status = {group.status: group.claims for group in mine}
        offers, accepted = (session.scalar(select(func.count(func.distinct(
            ClaimEvent.claim_id))).join(E, E.claim_id == ClaimEvent.claim_id)
            .where(where, ClaimEvent.kind == kind)) or 0
            for kind in (EventKind.OFFER_MADE, EventKind.OFFER_ACCEPTED))
        unclaimed, amounts = _unclaimed(session, wanted)
        paid = sum(group.paid for group in mine)
        return ProactiveFigures(
            proactive_claims=sum(group.claims for group in mine),
            paid_share=paid / all_paid if all_paid else None,
            offers=offers, accepted=accepted,
            declined=by_status.get(ClaimStatus.DECLINED, 0),
            withdrawn=by_status.get(ClaimStatus.WITHDRAWN, 0),
            ignored=by_status.get(ClaimStatus.OFFERED, 0),
            delay_to_money_hours=_delay_to_money(session, proactive),
            unclaimed=unclaimed, unclaimed_amounts=amounts,
            clerk_minutes_saved=_clerk_minutes_saved(groups))


@dataclass(frozen=True)
class _Group:
    """The records of one path and status in the report."""

    path: str
    status: str
    claims: int
    paid: int
    touchless: int
    clerk_seconds: int
    with_clerk_seconds: int


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
    the eligible passengers never claim. Counted by the day the data showed the delay,
    from the days' sums (claims.reporting.unclaimed_days)."""
    rows = session.execute(select(U.currency, U.journeys, U.amount)
                           .where(days_in(wanted, session, U))).all()
    totals: dict[str, Decimal] = {}
    for currency, _journeys, amount in rows:
        # Amounts are summed here, exactly: SQLite keeps them as text.
        totals[currency] = totals.get(currency, Decimal("0.00")) + amount
    return sum(journeys for _c, journeys, _a in rows), tuple(sorted(totals.items()))


def _clerk_minutes_saved(groups: list[_Group]) -> float:
    """Proactive claims decided without a clerk, times the clerk minutes a claim filed on a
    booking costs on average in the same report: what the same claims would have cost had
    the passengers filed them (with their typed accounts, statements and name checks)."""
    without_clerk = sum(group.touchless for group in groups if group.path == "proactive")
    filed = [group for group in groups if group.path in ("touchless", "clerk")]
    counted = sum(group.with_clerk_seconds for group in filed)
    mean_seconds = sum(group.clerk_seconds for group in filed) / counted if counted else 0
    return without_clerk * float(mean_seconds) / 60
