"""Validation of the records operators import (../shared/data-formats.md).

Pure: a JSON value goes in, a typed record or a RecordError with a readable reason comes
out. The import service decides what to do with them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from claims.core.amounts import AmountError, parse_amount
from claims.core.iban import IbanError, check_iban
from claims.core.names import normalise_reference
from claims.core.rules.causes import CAUSES
from claims.core.rules.uk_rail import SCHEMES
from claims.core.vocabulary import REGIMES, Regime

FARE_KINDS = frozenset({"single", "return", "season"})
_IATA = re.compile(r"^[A-Z]{3}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RecordError(ValueError):
    """One record cannot be imported; the message says which field and why."""


@dataclass(frozen=True)
class LegRecord:
    service: str
    origin: str
    destination: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    leg_amount: Decimal | None


@dataclass(frozen=True)
class BookingRecord:
    operator: str
    reference: str
    regime: str
    passenger_name: str
    passenger_email: str | None
    fare_amount: Decimal
    fare_currency: str
    fare_kind: str
    fare_valid_from: date | None
    fare_valid_until: date | None
    scheme: str | None
    carrier_eu: bool | None
    payment_iban: str | None
    payment_holder: str | None
    legs: tuple[LegRecord, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.operator, self.reference)


@dataclass(frozen=True)
class OperationsRecordData:
    operator: str
    service: str
    service_date: date
    stop: str
    actual_arrival: datetime | None
    cancelled: bool
    cause: str
    notice_days: int | None
    rerouted_departure: datetime | None
    rerouted_arrival: datetime | None

    @property
    def key(self) -> tuple[str, str, date, str]:
        return (self.operator, self.service, self.service_date, self.stop)


def parse_booking(value: Any) -> BookingRecord:
    record = _object(value, "record")
    _reject_unknown(record, {"reference", "operator", "regime", "passenger", "fare",
                             "payment", "legs", "scheme", "carrier_eu"}, "")
    regime = _choice(record, "regime", set(REGIMES))
    passenger = _object(record.get("passenger"), "passenger")
    _reject_unknown(passenger, {"name", "email"}, "passenger.")
    fare = _object(record.get("fare"), "fare")
    _reject_unknown(fare, {"amount", "currency", "kind", "valid_from", "valid_until"}, "fare.")
    kind = _choice(fare, "kind", FARE_KINDS, prefix="fare.")
    valid_from = _date(fare, "valid_from", "fare.", required=kind == "season")
    valid_until = _date(fare, "valid_until", "fare.", required=kind == "season")
    if valid_from and valid_until and valid_until < valid_from:
        raise RecordError("fare.valid_until: before fare.valid_from")

    scheme = None
    if regime == Regime.UK_RAIL:
        # Without a scheme of its own, the booking follows its operator's configuration.
        scheme = _choice(record, "scheme", frozenset(SCHEMES), required=False)
    elif "scheme" in record:
        raise RecordError("scheme: only uk-rail bookings carry a Delay Repay scheme")

    carrier_eu = None
    if regime == Regime.EU_AIR:
        carrier_eu = record.get("carrier_eu")
        if not isinstance(carrier_eu, bool):
            raise RecordError("carrier_eu: required for eu-air, true or false")
    elif "carrier_eu" in record:
        raise RecordError("carrier_eu: only eu-air bookings name the carrier's licence")

    iban = holder = None
    if record.get("payment") is not None:
        payment = _object(record["payment"], "payment")
        _reject_unknown(payment, {"iban", "holder"}, "payment.")
        try:
            iban = check_iban(_text(payment, "iban", "payment.")).compact
        except IbanError as error:
            raise RecordError(f"payment.iban: not an IBAN ({error})") from None
        holder = _text(payment, "holder", "payment.")

    email = _text(passenger, "email", "passenger.", required=False)
    if email is not None and not _EMAIL.match(email):
        raise RecordError("passenger.email: not an e-mail address")

    legs_value = record.get("legs")
    if not isinstance(legs_value, list) or not legs_value:
        raise RecordError("legs: a non-empty list of legs is required")
    legs = tuple(_leg(leg, index, regime) for index, leg in enumerate(legs_value))
    for earlier, later in pairwise(legs):
        if later.scheduled_departure < earlier.scheduled_arrival:
            raise RecordError("legs: a leg departs before the previous one arrives")

    return BookingRecord(
        operator=_text(record, "operator"),
        reference=_reference(record),
        regime=regime,
        passenger_name=_text(passenger, "name", "passenger."),
        passenger_email=email,
        fare_amount=_amount(fare, "amount", "fare."),
        fare_currency=_currency(fare, "fare."),
        fare_kind=kind,
        fare_valid_from=valid_from,
        fare_valid_until=valid_until,
        scheme=scheme,
        carrier_eu=carrier_eu,
        payment_iban=iban,
        payment_holder=holder,
        legs=legs,
    )


def parse_operations(value: Any) -> OperationsRecordData:
    record = _object(value, "record")
    _reject_unknown(record, {"operator", "service", "date", "stop", "actual_arrival",
                             "cancelled", "cause", "notice_days", "rerouted_departure",
                             "rerouted_arrival"}, "")
    cancelled = record.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise RecordError("cancelled: true or false")
    actual_arrival = _instant(record, "actual_arrival", "", required=False)
    if not cancelled and actual_arrival is None:
        raise RecordError("actual_arrival: required unless the stop was cancelled")
    notice_days = record.get("notice_days")
    if notice_days is not None and (isinstance(notice_days, bool)
                                    or not isinstance(notice_days, int) or notice_days < 0):
        raise RecordError("notice_days: a whole number of days, 0 or more")
    service_date = _date(record, "date", "", required=True)
    if service_date is None:
        raise RecordError("date: required")
    return OperationsRecordData(
        operator=_text(record, "operator"),
        service=_service(record, ""),
        service_date=service_date,
        stop=_text(record, "stop"),
        actual_arrival=actual_arrival,
        cancelled=cancelled,
        cause=_choice(record, "cause", CAUSES, required=False) or "unknown",
        notice_days=notice_days,
        rerouted_departure=_instant(record, "rerouted_departure", "", required=False),
        rerouted_arrival=_instant(record, "rerouted_arrival", "", required=False),
    )


def _leg(value: Any, index: int, regime: str) -> LegRecord:
    prefix = f"legs[{index}]."
    leg = _object(value, f"legs[{index}]")
    _reject_unknown(leg, {"service", "origin", "destination", "scheduled_departure",
                          "scheduled_arrival", "leg_amount"}, prefix)
    departure = _instant(leg, "scheduled_departure", prefix)
    arrival = _instant(leg, "scheduled_arrival", prefix)
    if departure is None or arrival is None:
        raise RecordError(f"{prefix}scheduled_departure and scheduled_arrival: required")
    if arrival <= departure:
        raise RecordError(f"{prefix}scheduled_arrival: not after the scheduled departure")
    origin, destination = _text(leg, "origin", prefix), _text(leg, "destination", prefix)
    if regime == Regime.EU_AIR:
        for field, code in (("origin", origin), ("destination", destination)):
            if not _IATA.match(code):
                raise RecordError(f"{prefix}{field}: air legs name airports by IATA code")
    return LegRecord(
        service=_service(leg, prefix),
        origin=origin,
        destination=destination,
        scheduled_departure=departure,
        scheduled_arrival=arrival,
        leg_amount=_amount(leg, "leg_amount", prefix) if "leg_amount" in leg else None,
    )


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"{name}: a JSON object is required")
    return value


def _reject_unknown(record: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(record) - known)
    if unknown:
        raise RecordError(f"{prefix}{unknown[0]}: unknown field")


def _text(record: Mapping[str, Any], key: str, prefix: str = "", *,
          required: bool = True, limit: int = 200) -> Any:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{prefix}{key}: required text")
    value = value.strip()
    if len(value) > limit:
        raise RecordError(f"{prefix}{key}: longer than {limit} characters")
    return value


def _reference(record: Mapping[str, Any]) -> str:
    reference = normalise_reference(_text(record, "reference"))
    if not 4 <= len(reference) <= 20:
        raise RecordError("reference: 4 to 20 letters and digits")
    return reference


def _service(record: Mapping[str, Any], prefix: str) -> str:
    return " ".join(_text(record, "service", prefix, limit=40).split())


def _choice(record: Mapping[str, Any], key: str, allowed: set[str] | frozenset[str], *,
            required: bool = True, prefix: str = "") -> Any:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise RecordError(f"{prefix}{key}: one of {', '.join(sorted(allowed))}")
    return value


def _amount(record: Mapping[str, Any], key: str, prefix: str) -> Decimal:
    try:
        return parse_amount(record.get(key))
    except AmountError as error:
        raise RecordError(f"{prefix}{key}: {error}") from None


def _currency(record: Mapping[str, Any], prefix: str) -> str:
    value = record.get("currency")
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise RecordError(f"{prefix}currency: an ISO 4217 code such as EUR")
    return value


def _date(record: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> date | None:
    value = record.get(key)
    if value is None and not required:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad_date(prefix, key)
    except ValueError:
        return _bad_date(prefix, key)


def _bad_date(prefix: str, key: str) -> date:
    raise RecordError(f"{prefix}{key}: a date such as 2026-03-02")


def _instant(record: Mapping[str, Any], key: str, prefix: str, *,
             required: bool = True) -> datetime | None:
    value = record.get(key)
    if value is None and not required:
        return None
    message = (f"{prefix}{key}: an ISO 8601 time with its UTC offset, "
               "such as 2026-03-02T10:13:00+01:00")
    if not isinstance(value, str):
        raise RecordError(message)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(message) from None
    if instant.tzinfo is None:
        raise RecordError(message)
    return instant
