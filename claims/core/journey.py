"""What actually happened on a booked journey, from the operations data.

The delay that decides a claim is the actual arrival of the last leg at the final
destination; an earlier leg arriving after the next one left means a missed connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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


def operations_key(leg: LegLike) -> OperationsKey:
    """(service, scheduled departure date as the operator's local date, arrival stop)."""
    return (leg.service, leg.scheduled_departure.date(), leg.destination)


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
    final = arrivals.get(operations_key(last))
    missed_at = None
    for leg, next_leg in pairwise(legs):
        arrival = arrivals.get(operations_key(leg))
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
    )
