"""Time to money: how long from the late arrival to the payout file ("file") and to the
bank's confirmation ("confirmed"), per payment, kept as bucket counts per day
(money_time_days) and per month (money_time_months) in the transaction that records the
file or the bank's feedback, so that the report adds up a few thousand rows instead of
sorting every payment.

Where the time starts: the journey check's arrival for an offer (proactive), the last
leg's scheduled arrival plus the delay for a claim on a booking, the submission where no
arrival is known (no booking, or no delay on record). The buckets are built as those of
claims.reporting.effort_times (one second wide under 100 s, then growing), and its
percentile function reads them, but 5 % wide, not 1 %: times to money spread over hours
and days, and a day of a million payments a year filled 780,000 rows at 1 % (the full
year's read took 4.5 s on SQLite), 390,000 at 5 % (2.1 s on SQLite, 1.2 s on
PostgreSQL); a percentile stays within half a bucket, 2.5 %.

Which transfer is counted: the claim's payment, not a top-up on money that arrived. The
bank returning it takes it out of both measures (money that came back did not reach the
passenger); the payment made again in its place counts from the original start to its
own file and confirmation, so a return shows as the longer wait it was. The start and the
path are kept on the payout (payouts.money_time_from, money_time_path), and both measures
go under the day of the file: the confirmation and a return find the very buckets to add
to or take from, and a period's two columns describe the same payments."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Table, select, update
from sqlalchemy.orm import Session

from claims.core.journey import legs_by_direction
from claims.core.vocabulary import Direction, Origin
from claims.db.dialect import insert_on_conflict, one_of
from claims.db.models import (
    Booking,
    BookingLeg,
    Claim,
    JourneyCheck,
    MoneyTimeDay,
    MoneyTimeMonth,
    Payout,
    PayoutRun,
)

EXACT_BELOW = 100
GROWTH = 1.05
TO_FILE = "file"
TO_CONFIRMATION = "confirmed"
# A bucket's key: (day, operator id, regime, path, measure, bucket).
Key = tuple[date, int, str, str, str, int]


def bucket_of_seconds(seconds: int) -> int:
    if seconds < EXACT_BELOW:
        return seconds
    return EXACT_BELOW + math.floor(math.log(seconds / EXACT_BELOW) / math.log(GROWTH))


def path_of(claim: Any) -> str:
    """The reports' paths (claims.reporting.reports.PATHS), of a Claim or of a row with
    its origin, booking_id and reason_codes."""
    if claim.origin == Origin.PROACTIVE:
        return "proactive"
    if claim.booking_id is None:
        return "no-booking"
    return "clerk" if claim.reason_codes else "touchless"


def late_arrival(claim: Any, checked_arrival: datetime | None) -> datetime:
    """Of a Claim, or of a row with its journey_legs, delay_minutes and submitted_at."""
    if checked_arrival is not None:
        return checked_arrival
    legs = claim.journey_legs
    if legs and claim.delay_minutes is not None:
        return legs[-1].scheduled_arrival + timedelta(minutes=claim.delay_minutes)
    return claim.submitted_at


def seconds_between(start: datetime, end: datetime) -> int:
    """The one rounding of a time to money, for adding it and for taking it out again."""
    return max(0, int((end - start).total_seconds()))


def record_file_written(session: Session, run_id: int, written_at: datetime) -> None:
    """Add the run's transfers that are their claims' payment to the "file" buckets of
    the day the file was written, and keep on each payout where its time started."""
    payouts = session.execute(select(Payout.id, Payout.claim_id).where(
        Payout.run_id == run_id, Payout.method != "voucher")).all()
    if not payouts:
        return
    claim_ids = [claim_id for _id, claim_id in payouts]
    counted_before = session.execute(
        select(Payout.claim_id, Payout.money_time_from, Payout.returned_at)
        .where(one_of(session, Payout.claim_id, claim_ids), Payout.run_id != run_id,
               Payout.money_time_from.is_not(None))).all()
    # A claim whose counted payment stands is paid a top-up here: not counted again.
    standing = {row.claim_id for row in counted_before if row.returned_at is None}
    original: dict[int, datetime] = {}  # claim: the start of its returned payment
    for row in counted_before:
        if row.returned_at is not None and row.money_time_from is not None:
            original[row.claim_id] = min(row.money_time_from,
                                         original.get(row.claim_id, row.money_time_from))
    payment_of = {claim_id: payout_id for payout_id, claim_id in payouts
                  if claim_id not in standing}
    if not payment_of:
        return
    # Their columns and their legs as plain rows: no IBAN is decrypted for a time, and no
    # object is built (loaded as objects, they were a fifth of a payout run).
    claims = session.execute(
        select(Claim.id, Claim.operator_id, Claim.regime, Claim.origin, Claim.booking_id,
               Claim.direction, Claim.reason_codes, Claim.delay_minutes, Claim.submitted_at,
               Booking.fare_kind)
        .outerjoin(Booking, Booking.id == Claim.booking_id)
        .where(one_of(session, Claim.id, list(payment_of)))).all()
    legs = _legs_of(session, {claim.booking_id for claim in claims if claim.booking_id})
    arrivals: dict[int | None, datetime] = {
        claim_id: arrived_at for claim_id, arrived_at in session.execute(
            select(JourneyCheck.claim_id, JourneyCheck.arrived_at)
            .where(one_of(session, JourneyCheck.claim_id, list(payment_of))))}
    day = written_at.date()
    changes: Counter[Key] = Counter()
    sums: Counter[Key] = Counter()
    starts = []
    for claim in claims:
        journey = _Journey(legs_by_direction(legs.get(claim.booking_id, []), claim.fare_kind)
                           .get(Direction(claim.direction), []) if claim.booking_id else [],
                           claim.delay_minutes, claim.submitted_at)
        start = original.get(claim.id) or late_arrival(journey, arrivals.get(claim.id))
        path = path_of(claim)
        seconds = seconds_between(start, written_at)
        key = (day, claim.operator_id, claim.regime, path, TO_FILE, bucket_of_seconds(seconds))
        changes[key] += 1
        sums[key] += seconds
        starts.append({"id": payment_of[claim.id], "money_time_from": start,
                       "money_time_path": path})
    session.execute(update(Payout), starts)
    add_to_buckets(session, changes, sums)


@dataclass(frozen=True)
class _Journey:
    """What late_arrival reads of a claim."""

    journey_legs: Sequence[Any]
    delay_minutes: int | None
    submitted_at: datetime


def _legs_of(session: Session, booking_ids: set[int]) -> dict[int, list[Any]]:
    """Each booking's legs in order, as rows with a leg's attributes."""
    legs: dict[int, list[Any]] = {}
    for leg in session.execute(
            select(BookingLeg.booking_id, BookingLeg.service, BookingLeg.origin,
                   BookingLeg.destination, BookingLeg.scheduled_departure,
                   BookingLeg.scheduled_arrival, BookingLeg.service_date)
            .where(one_of(session, BookingLeg.booking_id, sorted(booking_ids)))
            .order_by(BookingLeg.booking_id, BookingLeg.position)):
        legs.setdefault(leg.booking_id, []).append(leg)
    return legs


def record_confirmed(session: Session, payout_ids: Iterable[int],
                     confirmed_at: datetime) -> None:
    """The bank confirmed these transfers: the counted ones go into the "confirmed"
    buckets of their file's day."""
    changes: Counter[Key] = Counter()
    sums: Counter[Key] = Counter()
    for row in _counted(session, payout_ids):
        seconds = seconds_between(row.money_time_from, confirmed_at)
        key = _key(row, TO_CONFIRMATION, seconds)
        changes[key] += 1
        sums[key] += seconds
    add_to_buckets(session, changes, sums)


def record_returned(session: Session, payout_ids: Iterable[int]) -> None:
    """The bank sent these transfers back: the counted ones leave the "file" buckets, and
    the "confirmed" ones if the bank had confirmed them before. To be called before the
    payouts are marked returned."""
    changes: Counter[Key] = Counter()
    sums: Counter[Key] = Counter()
    for row in _counted(session, payout_ids):
        seconds = seconds_between(row.money_time_from, row.file_written_at)
        changes[_key(row, TO_FILE, seconds)] -= 1
        sums[_key(row, TO_FILE, seconds)] -= seconds
        if row.confirmed_at is not None:
            seconds = seconds_between(row.money_time_from, row.confirmed_at)
            changes[_key(row, TO_CONFIRMATION, seconds)] -= 1
            sums[_key(row, TO_CONFIRMATION, seconds)] -= seconds
    add_to_buckets(session, changes, sums)


def _counted(session: Session, payout_ids: Iterable[int]) -> Sequence[Any]:
    ids = list(payout_ids)
    if not ids:
        return []
    return session.execute(
        select(Payout.money_time_from, Payout.money_time_path, Payout.confirmed_at,
               Claim.operator_id, Claim.regime, PayoutRun.file_written_at)
        .join(Claim, Claim.id == Payout.claim_id)
        .join(PayoutRun, PayoutRun.id == Payout.run_id)
        .where(one_of(session, Payout.id, list(ids)), Payout.money_time_from.is_not(None),
               Payout.returned_at.is_(None), PayoutRun.file_written_at.is_not(None))).all()


def _key(row: Any, measure: str, seconds: int) -> Key:
    return (row.file_written_at.date(), row.operator_id, row.regime, row.money_time_path,
            measure, bucket_of_seconds(seconds))


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_to_buckets(session: Session, changes: Counter[Key], sums: Counter[Key]) -> None:
    """Add (or, negative, take out) counts and seconds in the day buckets and the same in
    their months', in the caller's transaction: the two tables never disagree. A bucket
    emptied by returns stays as a row of zeros; the report skips it."""
    if not changes:
        return
    by_month: Counter[Key] = Counter()
    month_sums: Counter[Key] = Counter()
    for key, count in changes.items():
        day, operator_id, regime, path, measure, bucket = key
        month = (month_of(day), operator_id, regime, path, measure, bucket)
        by_month[month] += count
        month_sums[month] += sums[key]
    _upsert(session, MoneyTimeDay, "day", changes, sums)
    _upsert(session, MoneyTimeMonth, "month", by_month, month_sums)


def _upsert(session: Session, table: type[MoneyTimeDay] | type[MoneyTimeMonth], period: str,
            changes: Counter[Key], sums: Counter[Key]) -> None:
    rows = [{period: day, "operator_id": operator_id, "regime": regime, "path": path,
             "measure": measure, "bucket": bucket, "payouts": changes[key],
             "seconds": sums[key]}
            for key in sorted(changes) for day, operator_id, regime, path, measure, bucket
            in (key,)]
    session.connection().execute(
        _upsert_statement(table, period, session.get_bind().dialect.name), rows)


@cache
def _upsert_statement(table: type[MoneyTimeDay] | type[MoneyTimeMonth], period: str,
                      dialect: str) -> Insert:
    """Built once, executed for many rows: a multi-row VALUES statement was compiled anew
    for each run and each bank file (three quarters of a payout run's bucket time)."""
    statement = insert_on_conflict(dialect, cast(Table, table.__table__))
    return statement.on_conflict_do_update(
        index_elements=[period, "operator_id", "regime", "path", "measure", "bucket"],
        set_={"payouts": table.payouts + statement.excluded.payouts,
              "seconds": table.seconds + statement.excluded.seconds})
