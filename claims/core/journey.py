"""What actually happened on a booked journey, from the operations data.

The delay that decides a claim is the actual arrival of the last leg at the final
destination; an earlier leg arriving after the next one left means a missed connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Protocol, TypeVar

from claims.core.vocabulary import Direction


class LegLike(Protocol):
    """A leg as journeys and their facts are worked out from it: only read, so a frozen
    view of a leg serves as well as the stored one."""

    @property
    def service(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def scheduled_departure(self) -> datetime: ...
    @property
    def scheduled_arrival(self) -> datetime: ...
    # The train's service day where the booking gave one (see service_day).
    @property
    def service_date(self) -> date | None: ...


LegT = TypeVar("LegT", bound=LegLike)


class ArrivalLike(Protocol):
    """An operations record's arrival, only read."""

    @property
    def actual_arrival(self) -> datetime | None: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def cause(self) -> str: ...
    @property
    def notice_days(self) -> int | None: ...
    @property
    def rerouted_departure(self) -> datetime | None: ...
    @property
    def rerouted_arrival(self) -> datetime | None: ...
    # The operator's own scheduled arrival at the stop, where it sent one.
    @property
    def scheduled_arrival(self) -> datetime | None: ...


OperationsKey = tuple[str, date, str]


def legs_by_direction(legs: Sequence[LegT], fare_kind: str) -> dict[Direction, list[LegT]]:
    """The journeys of a booking. A return ticket whose legs come back to where they began
    is two journeys, split at the longest stay between two legs (a change of trains is
    minutes, a stay at the destination hours or days); every other booking is one."""
    if fare_kind == "return" and len(legs) >= 2 and legs[-1].destination == legs[0].origin:
        stays = [(legs[i].scheduled_departure - legs[i - 1].scheduled_arrival, i)
                 for i in range(1, len(legs))]
        _stay, turn = max(stays)
        return {Direction.OUTBOUND: list(legs[:turn]), Direction.RETURN: list(legs[turn:])}
    return {Direction.OUTBOUND: list(legs)}


def service_day(leg: LegLike) -> date:
    """The day of the train the leg is on, as operations records are keyed: the day it
    left its first station. The booking says so where the passenger boarded after
    midnight a train that left the day before; without it, the leg's own departure date
    (local, as the operator keeps its timetable). Every match of a leg to its records
    goes through here."""
    return leg.service_date or leg.scheduled_departure.date()


def operations_key(leg: LegLike) -> OperationsKey:
    """(service, service day, arrival stop): the key of the leg's operations record."""
    return (leg.service, service_day(leg), leg.destination)


# A record whose own scheduled arrival is further than this from the leg's is another
# train's (the next day's of the same number, a timetable the booking did not know).
# Half an hour: a timetable change between sale and travel moves a train by minutes; a
# day or another train of the number lies hours away.
SCHEDULE_TOLERANCE = timedelta(minutes=30)


def is_the_legs_train(leg: LegLike, arrival: ArrivalLike) -> bool:
    """False when the record's scheduled arrival says it is not this leg's train."""
    return arrival.scheduled_arrival is None or \
        abs(arrival.scheduled_arrival - leg.scheduled_arrival) <= SCHEDULE_TOLERANCE


@dataclass(frozen=True)
class JourneyFacts:
    origin: str
    destination: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    actual_arrival: datetime | None
    has_operations_data: bool
    cancelled: bool
    cause: str
    missed_connection_at: str | None
    notice_days: int | None = None
    rerouted_departure: datetime | None = None
    rerouted_arrival: datetime | None = None
    # The stop of the first leg whose record is another train's (is_the_legs_train): that
    # record is not used, and a clerk looks at the claim.
    mismatch_at: str | None = None

    @property
    def delay_minutes(self) -> int | None:
        if self.actual_arrival is None:
            return None
        return delay_minutes(self.scheduled_arrival, self.actual_arrival)


def delay_minutes(scheduled: datetime, actual: datetime) -> int:
    """Whole minutes late, rounded down; instants compared, never wall-clock times."""
    seconds = (actual - scheduled).total_seconds()
    return max(0, int(seconds // 60))


def journey_facts(legs: Sequence[LegLike],
                  arrivals: Mapping[OperationsKey, ArrivalLike]) -> JourneyFacts:
    if not legs:
        raise ValueError("a journey has at least one leg")
    last = legs[-1]
    records = [arrivals.get(operations_key(leg)) for leg in legs]
    # Only a record of the leg's own train tells what happened on it; another train's is
    # left out, and named (mismatch_at) for a clerk to look at.
    used = [record if record is not None and is_the_legs_train(leg, record) else None
            for leg, record in zip(legs, records, strict=True)]
    mismatch_at = next((leg.destination for leg, record, kept
                        in zip(legs, records, used, strict=True)
                        if record is not None and kept is None), None)
    final = used[-1]
    missed_at = None
    for (leg, next_leg), arrival in zip(pairwise(legs), used, strict=False):
        if arrival is not None and (
                arrival.cancelled or (arrival.actual_arrival is not None
                                      and arrival.actual_arrival > next_leg.scheduled_departure)):
            missed_at = leg.destination
            break
    return JourneyFacts(
        origin=legs[0].origin,
        destination=last.destination,
        scheduled_departure=last.scheduled_departure,
        scheduled_arrival=last.scheduled_arrival,
        actual_arrival=final.actual_arrival if final else None,
        has_operations_data=final is not None,
        cancelled=bool(final and final.cancelled),
        cause=final.cause if final else "unknown",
        missed_connection_at=missed_at,
        notice_days=final.notice_days if final else None,
        rerouted_departure=final.rerouted_departure if final else None,
        rerouted_arrival=final.rerouted_arrival if final else None,
        mismatch_at=mismatch_at,
    )
