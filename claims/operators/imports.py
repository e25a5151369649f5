"""Import of bookings and operations records: idempotent, line-by-line rejection, and
one transaction per file so that nothing half-written stays. Records are taken in batches
as they are read (claims/operators/record_stream.py), so a file of any size is imported
in the memory of one batch; of the rejected lines the count is kept and the first
REJECTED_LISTED with their reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from claims.core.names import name_key
from claims.core.problems import Problem, echo, problem
from claims.db.bulk import insert_many, insert_returning_ids
from claims.db.models import Booking, BookingLeg, OperationsRecord, Operator
from claims.operators.records import (
    BookingRecord,
    OperationsRecordData,
    RecordError,
    parse_booking,
    parse_operations,
)

CHUNK = 2000
# Enough to see what is wrong with a file; a file of a million bad lines is not answered
# with a million reasons.
REJECTED_LISTED = 100
RecordT = TypeVar("RecordT", BookingRecord, OperationsRecordData)
Writer = Callable[[Session, list[RecordT], dict[str, int], "ImportReport"], None]


@dataclass
class ImportReport:
    created: int = 0
    replaced: int = 0
    rejected_count: int = 0
    # The first REJECTED_LISTED rejected lines, by number: (line, why); the reason is its
    # English text, and a web answer can translate it.
    rejected: list[tuple[int, Problem]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.replaced

    def reject(self, line: int, reason: Problem) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REJECTED_LISTED:
            self.rejected.append((line, reason))

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "replaced": self.replaced,
                "rejected_count": self.rejected_count, "rejected_listed_at_most": REJECTED_LISTED,
                "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected]}


def import_bookings(session_factory: sessionmaker[Session], numbered: Iterable[tuple[int, Any]],
                    *, only_operator: str | None = None) -> ImportReport:
    return _import(session_factory, numbered, parse_booking, _write_bookings, only_operator)


def import_operations(session_factory: sessionmaker[Session],
                      numbered: Iterable[tuple[int, Any]],
                      *, only_operator: str | None = None) -> ImportReport:
    return _import(session_factory, numbered, parse_operations, _write_operations,
                   only_operator)


def _import(session_factory: sessionmaker[Session], numbered: Iterable[tuple[int, Any]],
            parse: Callable[[Any], RecordT], write: Writer[RecordT],
            only_operator: str | None) -> ImportReport:
    """Batch by batch in one transaction: a key met again in a later batch finds the row
    the earlier one wrote, and replaces it, as across files."""
    report = ImportReport()
    with session_factory.begin() as session:
        operators = _Operators(session)
        for batch in _batches(iter(numbered), CHUNK):
            rejected: list[tuple[int, Problem]] = []
            records = _parse_batch(batch, parse, rejected, only_operator)
            operator_ids = operators.ids({record.operator for _, record in records})
            valid = []
            for number, record in records:
                if record.operator in operator_ids:
                    valid.append((number, record))
                else:
                    rejected.append((number, problem("no operator %(operator)s",
                                                     operator=echo(record.operator))
                                     .at("operator")))
            for number, reason in sorted(rejected):
                report.reject(number, reason)
            if valid:
                write(session, _last_per_key(valid), operator_ids, report)
    return report


def _batches(numbered: Iterator[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    while batch := list(islice(numbered, size)):
        yield batch


def _parse_batch(batch: list[tuple[int, Any]], parse: Callable[[Any], RecordT],
                 rejected: list[tuple[int, Problem]],
                 only_operator: str | None) -> list[tuple[int, RecordT]]:
    records: list[tuple[int, RecordT]] = []
    for number, value in batch:
        try:
            if isinstance(value, RecordError):
                raise value
            record = parse(value)
            if only_operator is not None and record.operator != only_operator:
                raise RecordError("operator", problem(
                    "%(operator)s is not the operator of this API key",
                    operator=echo(record.operator)))
        except RecordError as error:
            rejected.append((number, error.reason))
            continue
        records.append((number, record))
    return records


class _Operators:
    """Operator ids by slug, each looked up once per file."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, int | None] = {}

    def ids(self, slugs: set[str]) -> dict[str, int]:
        new = slugs - self._known.keys()
        if new:
            found = dict(self._session.execute(
                select(Operator.slug, Operator.id).where(Operator.slug.in_(new))).all())
            self._known.update({slug: found.get(slug) for slug in new})
        return {slug: known for slug in slugs if (known := self._known[slug]) is not None}


def _last_per_key(records: list[tuple[int, RecordT]]) -> list[RecordT]:
    # A key met twice in one batch: the later record replaces the earlier, as across files.
    by_key: dict[Any, RecordT] = {}
    for _, record in records:
        by_key.pop(record.key, None)
        by_key[record.key] = record
    return list(by_key.values())


def _group(keys: list[tuple[int, str]]) -> dict[int, set[str]]:
    grouped: dict[int, set[str]] = {}
    for operator_id, value in keys:
        grouped.setdefault(operator_id, set()).add(value)
    return grouped


def _booking_row(record: BookingRecord, operator_id: int) -> dict[str, Any]:
    return {
        "operator_id": operator_id, "reference": record.reference, "regime": record.regime,
        "passenger_name": record.passenger_name,
        "passenger_name_key": name_key(record.passenger_name),
        "passenger_email": record.passenger_email, "passenger_language": record.passenger_language,
        "fare_amount": record.fare_amount, "fare_currency": record.fare_currency,
        "fare_kind": record.fare_kind, "fare_valid_from": record.fare_valid_from,
        "fare_valid_until": record.fare_valid_until, "scheme": record.scheme,
        "carrier_eu": record.carrier_eu, "payment_iban": record.payment_iban,
        "payment_holder": record.payment_holder,
    }


def _write_bookings(session: Session, chunk: list[BookingRecord], operator_ids: dict[str, int],
                    report: ImportReport) -> None:
    keys = [(operator_ids[r.operator], r.reference) for r in chunk]
    existing: dict[tuple[int, str], int] = {}
    # Per operator with "reference IN (...)": PostgreSQL plans a row-value IN of thousands
    # of pairs as a scan of the whole table.
    for operator_id, references in _group(keys).items():
        existing.update(((operator_id, reference), booking_id)
                        for booking_id, reference in session.execute(
                            select(Booking.id, Booking.reference).where(
                                Booking.operator_id == operator_id,
                                Booking.reference.in_(references))))
    new = [r for r, key in zip(chunk, keys, strict=True) if key not in existing]
    old = [(r, existing[key]) for r, key in zip(chunk, keys, strict=True) if key in existing]

    ids: list[int] = []
    if new:
        rows = [_booking_row(r, operator_ids[r.operator]) for r in new]
        ids = insert_returning_ids(session, Booking, rows)
    if old:
        session.execute(update(Booking), [{"id": booking_id, **_booking_row(
            r, operator_ids[r.operator])} for r, booking_id in old])
        session.execute(delete(BookingLeg).where(
            BookingLeg.booking_id.in_([booking_id for _, booking_id in old])))
    legs = [
        {"booking_id": booking_id, "position": position, "service": leg.service,
         "origin": leg.origin, "destination": leg.destination,
         "scheduled_departure": leg.scheduled_departure,
         "scheduled_arrival": leg.scheduled_arrival, "leg_amount": leg.leg_amount,
         "service_date": leg.service_date}
        for record, booking_id in [*zip(new, ids, strict=True), *old]
        for position, leg in enumerate(record.legs)
    ]
    insert_many(session, BookingLeg, legs)
    report.created += len(new)
    report.replaced += len(old)


def _operations_row(record: OperationsRecordData, operator_id: int) -> dict[str, Any]:
    return {
        "operator_id": operator_id, "service": record.service,
        "service_date": record.service_date, "stop": record.stop,
        "actual_arrival": record.actual_arrival, "cancelled": record.cancelled,
        "cause": record.cause, "notice_days": record.notice_days,
        "rerouted_departure": record.rerouted_departure,
        "rerouted_arrival": record.rerouted_arrival,
        "scheduled_arrival": record.scheduled_arrival,
        # New or corrected: the journeys it touches are checked again.
        "proactive_checked": False,
    }


def _write_operations(session: Session, chunk: list[OperationsRecordData],
                      operator_ids: dict[str, int], report: ImportReport) -> None:
    keys = [(operator_ids[r.operator], r.service, r.service_date, r.stop) for r in chunk]
    existing: dict[tuple[Any, ...], int] = {}
    for operator_id, services in _group([(k[0], k[1]) for k in keys]).items():
        # A superset by service and date, narrowed to the exact keys here.
        rows = session.execute(select(
            OperationsRecord.id, OperationsRecord.operator_id, OperationsRecord.service,
            OperationsRecord.service_date, OperationsRecord.stop).where(
            OperationsRecord.operator_id == operator_id,
            OperationsRecord.service.in_(services),
            OperationsRecord.service_date.in_({k[2] for k in keys if k[0] == operator_id})))
        existing.update(((row.operator_id, row.service, row.service_date, row.stop), row.id)
                        for row in rows)
    new, old = [], []
    for record, key in zip(chunk, keys, strict=True):
        row = _operations_row(record, key[0])
        if key in existing:
            old.append({"id": existing[key], **row})
        else:
            new.append(row)
    insert_many(session, OperationsRecord, new)
    if old:
        session.execute(update(OperationsRecord), old)
    report.created += len(new)
    report.replaced += len(old)
