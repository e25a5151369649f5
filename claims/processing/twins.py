"""One decision per journey, whatever starts it: a claim on a booking, a claim without
one, an offer. A journey's twins are the other claims for the same journey: the same
operator, service and travel date, by the same passenger (names folded as in the
look-up: "Müller" = "MUELLER"); two legs of one booking are never twins of each other.

The rules' path, a clerk's cohort, the proactive check and the payout run all ask
`twins_of`: a twin filed later waits for a clerk as possible-duplicate with the earlier
claim linked; a proactive check joins the claim already there; a payout run never pays a
journey whose twin was paid (unless a person approved it as no duplicate)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from claims.core.journey import LegLike, service_day
from claims.core.names import name_key, name_tokens
from claims.core.vocabulary import ClaimStatus
from claims.db.models import Booking, BookingLeg, Claim

K = TypeVar("K")
# (operator, service folded, travel date, passenger's name folded)
TwinKey = tuple[int, str, date, str]
# No decision at all on the journey: these claims are no twin of anything.
NOT_A_DECISION = (ClaimStatus.WITHDRAWN, ClaimStatus.DECLINED)


@dataclass(frozen=True)
class JourneyOf:
    """A journey as twins are found: a claim's, or one a proactive check is about to
    decide. `claim_id` is None for a journey that has no claim yet."""

    operator_id: int
    booking_id: int | None
    passenger_name: str
    legs: Sequence[LegLike] = ()
    typed: Mapping[str, object] | None = None  # a claim without a booking: as typed
    claim_id: int | None = None


def journey_of(claim: Claim) -> JourneyOf:
    return JourneyOf(claim.operator_id, claim.booking_id, claim.passenger_name,
                     claim.journey_legs, claim.manual_journey if claim.booking_id is None
                     else None, claim.id)


def _service(text: object) -> str:
    return "".join(name_tokens(str(text)))


def twin_keys(journey: JourneyOf) -> frozenset[TwinKey]:
    name = name_key(journey.passenger_name)
    if not name:
        return frozenset()  # erased: nobody left to be anybody's twin
    if journey.typed:
        try:
            day = date.fromisoformat(str(journey.typed.get("date")))
        except ValueError:
            return frozenset()
        return frozenset({(journey.operator_id, _service(journey.typed.get("service", "")),
                           day, name)})
    # A booked leg's day is the passenger's day of travel (what they type without the
    # booking) and its train's service day (a train boarded after midnight).
    return frozenset((journey.operator_id, _service(leg.service), day, name)
                     for leg in journey.legs
                     for day in {leg.scheduled_departure.date(), service_day(leg)})


def twins_of(session: Session, journeys: Mapping[K, JourneyOf],
             statuses: Iterable[ClaimStatus] | None = None,
             keys: Mapping[K, frozenset[TwinKey]] | None = None) -> dict[K, list[Claim]]:
    """Per journey, the other claims for it (oldest first), in two queries for all; only
    those in `statuses` where given (the payout run asks for the paid ones). `keys`: the
    journeys' twin keys, where the caller has them already (folding names is not free)."""
    if keys is None:
        keys = {k: twin_keys(journey) for k, journey in journeys.items()}
    wanted = set().union(*keys.values()) if keys else set()
    if not wanted:
        return {}
    by_key: dict[TwinKey, list[Claim]] = {}
    for other in _candidates(session, wanted, statuses):
        for key in twin_keys(journey_of(other)) & wanted:
            by_key.setdefault(key, []).append(other)
    found: dict[K, list[Claim]] = {}
    for k, journey in journeys.items():
        others = {other.id: other for key in keys[k] for other in by_key.get(key, ())
                  if other.id != journey.claim_id and not (
                      journey.booking_id is not None and other.booking_id == journey.booking_id)}
        if others:
            found[k] = [others[claim_id] for claim_id in sorted(others)]
    return found


def _candidates(session: Session, wanted: Iterable[TwinKey],
                statuses: Iterable[ClaimStatus] | None) -> list[Claim]:
    """The claims that may share one of these keys: on a booking with a leg of one of the
    services on one of the days, or filed without a booking since the earliest day."""
    wanted = list(wanted)
    operators = sorted({operator for operator, _s, _d, _n in wanted})
    services = sorted({service for _o, service, _d, _n in wanted})
    days = [day for _o, _s, day, _n in wanted]
    # A leg's departure may be a day after its service day.
    earliest, latest = min(days), max(days) + timedelta(days=2)
    departure = type_coerce(BookingLeg.scheduled_departure, String)
    # Services compared folded, as a passenger types them ("re 4711" = "RE 4711"): the
    # legs of those days are read, not found by the service's index.
    on_legs = select(BookingLeg.booking_id).where(
        func.upper(func.replace(BookingLeg.service, " ", "")).in_(services),
        departure >= earliest.isoformat(), departure < latest.isoformat())
    status = Claim.status.not_in(NOT_A_DECISION) if statuses is None else \
        Claim.status.in_(list(statuses))
    booked = select(Claim).where(
        Claim.booking_id.in_(on_legs), Claim.operator_id.in_(operators), status).options(
        selectinload(Claim.booking).selectinload(Booking.legs))
    # A claim is made after its journey (a day's margin for the time zones).
    from_earliest = datetime.combine(earliest - timedelta(days=1), time.min, tzinfo=UTC)
    unbooked = select(Claim).where(
        Claim.booking_id.is_(None), Claim.operator_id.in_(operators), status,
        Claim.submitted_at >= from_earliest)
    return sorted({*session.scalars(booked), *session.scalars(unbooked)},
                  key=lambda claim: claim.id)
