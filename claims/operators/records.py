"""Validation of the records operators import (../shared/data-formats.md).

Pure: a JSON value goes in, a typed record or a RecordError with a readable reason comes
out. The import service decides what to do with them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from claims.core import plain_text, wire
from claims.core.iban import IbanError, check_iban
from claims.core.names import REFERENCE_MAX_LENGTH, REFERENCE_MIN_LENGTH, normalise_reference
from claims.core.problems import Problem, problem
from claims.core.rules.causes import CAUSES
from claims.core.rules.uk_rail import SCHEMES
from claims.core.vocabulary import REGIMES, Regime

FARE_KINDS = frozenset({"single", "return", "season"})
TEXT_LIMIT = 200
PLACE_LIMIT = 120  # a station or stop, as long as the database keeps it
NOTICE_DAYS_LIMIT = 3650
SERVICE_LIMIT = 40
# How far a leg's service day may lie before its own departure date: a passenger boards,
# on the second night at the latest, a train that left its first station days before (the
# longest runs into the EU, such as Moscow-Nice or Kyiv-Vienna, cross two midnights).
# Further back, or after the departure, is a typo that would match another day's train.
SERVICE_DAY_BEFORE = timedelta(days=2)
_EMAIL_CHAR = rf"[^@{plain_text.CONTROLS} ]"
EMAIL_PATTERN = rf"^{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+$"
# 4 to 20 letters and digits; spaces, dots, slashes and hyphens between them are dropped.
REFERENCE_PATTERN = (r"^[ ./-]*([A-Za-z0-9][ ./-]*)"
                     f"{{{REFERENCE_MIN_LENGTH},{REFERENCE_MAX_LENGTH}}}$")
_EMAIL = re.compile(EMAIL_PATTERN)
_REFERENCE = re.compile(REFERENCE_PATTERN)
_IATA = re.compile(wire.IATA_PATTERN)
_CURRENCY = re.compile(wire.CURRENCY_PATTERN)

# The fields of each record, the one list the parsers check and the schema shows.
BOOKING_FIELDS = frozenset({"reference", "operator", "regime", "passenger", "fare", "payment",
                            "legs", "scheme", "carrier_eu"})
PASSENGER_FIELDS = frozenset({"name", "email", "language"})
# The languages the portal and its e-mails speak; an offer goes out in the booking's.
LANGUAGES = frozenset({"de", "en"})
FARE_FIELDS = frozenset({"amount", "currency", "kind", "valid_from", "valid_until"})
PAYMENT_FIELDS = frozenset({"iban", "holder"})
LEG_FIELDS = frozenset({"service", "origin", "destination", "scheduled_departure",
                        "scheduled_arrival", "leg_amount", "service_date"})
OPERATIONS_FIELDS = frozenset({"operator", "service", "date", "stop", "actual_arrival",
                               "cancelled", "cause", "notice_days", "rerouted_departure",
                               "rerouted_arrival", "scheduled_arrival"})


class RecordError(ValueError):
    """One record cannot be imported; the reason says which field and why (a Problem:
    English, and translatable by the web layer)."""

    def __init__(self, field: str, reason: Problem | None = None) -> None:
        if reason is None:  # RecordError(reason): how pickle rebuilds one from its args
            reason = field if isinstance(field, Problem) else Problem(field, {})
            field = ""
        self.reason = reason.at(field) if field else reason
        super().__init__(self.reason)


@dataclass(frozen=True)
class LegRecord:
    service: str
    origin: str
    destination: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    leg_amount: Decimal | None
    # The train's service day, which its operations records are keyed by: the booking's,
    # or the departure's local date where it gave none.
    service_date: date


@dataclass(frozen=True)
class BookingRecord:
    operator: str
    reference: str
    regime: str
    passenger_name: str
    passenger_email: str | None
    passenger_language: str | None
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
    scheduled_arrival: datetime | None = None

    @property
    def key(self) -> tuple[str, str, date, str]:
        return (self.operator, self.service, self.service_date, self.stop)


def parse_booking(value: Any) -> BookingRecord:
    record = _object(value, "record")
    _reject_unknown(record, BOOKING_FIELDS, "")
    regime = _choice(record, "regime", set(REGIMES))
    passenger = _object(record.get("passenger"), "passenger")
    _reject_unknown(passenger, PASSENGER_FIELDS, "passenger.")
    fare = _object(record.get("fare"), "fare")
    _reject_unknown(fare, FARE_FIELDS, "fare.")
    kind = _choice(fare, "kind", FARE_KINDS, prefix="fare.")
    valid_from = _date(fare, "valid_from", "fare.", required=kind == "season")
    valid_until = _date(fare, "valid_until", "fare.", required=kind == "season")
    if valid_from and valid_until and valid_until < valid_from:
        raise RecordError("fare.valid_until", problem("before fare.valid_from"))

    scheme = None
    if regime == Regime.UK_RAIL:
        # Without a scheme of its own, the booking follows its operator's configuration.
        scheme = _choice(record, "scheme", frozenset(SCHEMES), required=False)
    elif "scheme" in record:
        raise RecordError("scheme", problem("only uk-rail bookings carry a Delay Repay scheme"))

    carrier_eu = None
    if regime == Regime.EU_AIR:
        carrier_eu = record.get("carrier_eu")
        if not isinstance(carrier_eu, bool):
            raise RecordError("carrier_eu", problem("required for eu-air, true or false"))
    elif "carrier_eu" in record:
        raise RecordError("carrier_eu",
                          problem("only eu-air bookings name the carrier's licence"))

    iban = holder = None
    if record.get("payment") is not None:
        payment = _object(record["payment"], "payment")
        _reject_unknown(payment, PAYMENT_FIELDS, "payment.")
        try:
            iban = check_iban(_text(payment, "iban", "payment.")).compact
        except IbanError as error:
            raise RecordError("payment.iban",
                              problem("not an IBAN (%(detail)s)", detail=error)) from None
        holder = _name(payment, "holder", "payment.")

    email = _text(passenger, "email", "passenger.", required=False)
    if email is not None and not _EMAIL.fullmatch(email):
        raise RecordError("passenger.email", problem("not an e-mail address"))

    legs_value = record.get("legs")
    if not isinstance(legs_value, list) or not legs_value:
        raise RecordError("legs", problem("a non-empty list of legs is required"))
    legs = tuple(_leg(leg, index, regime) for index, leg in enumerate(legs_value))
    for earlier, later in pairwise(legs):
        if later.scheduled_departure < earlier.scheduled_arrival:
            raise RecordError("legs", problem("a leg departs before the previous one arrives"))

    return BookingRecord(
        operator=_text(record, "operator"),
        reference=_reference(record),
        regime=regime,
        passenger_name=_name(passenger, "name", "passenger."),
        passenger_email=email,
        passenger_language=_choice(passenger, "language", LANGUAGES, prefix="passenger.",
                                   required=False),
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
    _reject_unknown(record, OPERATIONS_FIELDS, "")
    cancelled = record.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise RecordError("cancelled", problem("true or false"))
    actual_arrival = _instant(record, "actual_arrival", "", required=False)
    if not cancelled and actual_arrival is None:
        raise RecordError("actual_arrival", problem("required unless the stop was cancelled"))
    notice_days = record.get("notice_days")
    if notice_days is not None and (isinstance(notice_days, bool)
                                    or not isinstance(notice_days, int)
                                    or not 0 <= notice_days <= NOTICE_DAYS_LIMIT):
        raise RecordError("notice_days", problem("a whole number of days, 0 to %(limit)s",
                                                 limit=NOTICE_DAYS_LIMIT))
    service_date = _date(record, "date", "", required=True)
    if service_date is None:
        raise RecordError("date", problem("required"))
    return OperationsRecordData(
        operator=_text(record, "operator"),
        service=_service(record, ""),
        service_date=service_date,
        stop=_text(record, "stop", limit=PLACE_LIMIT),
        actual_arrival=actual_arrival,
        cancelled=cancelled,
        cause=_choice(record, "cause", CAUSES, required=False) or "unknown",
        notice_days=notice_days,
        rerouted_departure=_instant(record, "rerouted_departure", "", required=False),
        rerouted_arrival=_instant(record, "rerouted_arrival", "", required=False),
        scheduled_arrival=_instant(record, "scheduled_arrival", "", required=False),
    )


def _leg(value: Any, index: int, regime: str) -> LegRecord:
    prefix = f"legs[{index}]."
    leg = _object(value, f"legs[{index}]")
    _reject_unknown(leg, LEG_FIELDS, prefix)
    departure = _instant(leg, "scheduled_departure", prefix)
    arrival = _instant(leg, "scheduled_arrival", prefix)
    if departure is None or arrival is None:
        raise RecordError(f"{prefix}scheduled_departure and scheduled_arrival",
                          problem("required"))
    if arrival <= departure:
        raise RecordError(f"{prefix}scheduled_arrival",
                          problem("not after the scheduled departure"))
    origin = _text(leg, "origin", prefix, limit=PLACE_LIMIT)
    destination = _text(leg, "destination", prefix, limit=PLACE_LIMIT)
    if regime == Regime.EU_AIR:
        for field, code in (("origin", origin), ("destination", destination)):
            if not _IATA.fullmatch(code):
                raise RecordError(f"{prefix}{field}",
                                  problem("air legs name airports by IATA code"))
    return LegRecord(
        service=_service(leg, prefix),
        origin=origin,
        destination=destination,
        scheduled_departure=departure,
        scheduled_arrival=arrival,
        leg_amount=_amount(leg, "leg_amount", prefix) if "leg_amount" in leg else None,
        service_date=_service_date(leg, prefix, departure),
    )


def _service_date(leg: Mapping[str, Any], prefix: str, departure: datetime) -> date:
    """The leg's service day: as given, on its departure's local date or up to
    SERVICE_DAY_BEFORE before it; without one, the departure's local date."""
    departure_day = departure.date()
    given = _date(leg, "service_date", prefix, required=False)
    if given is None:
        return departure_day
    if not departure_day - SERVICE_DAY_BEFORE <= given <= departure_day:
        raise RecordError(f"{prefix}service_date", problem(
            "the day the train left its first station, %(departure)s (the leg's departure "
            "date) or up to %(days)s days before it", departure=departure_day.isoformat(),
            days=SERVICE_DAY_BEFORE.days))
    return given


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(name, problem("a JSON object is required"))
    return value


def _reject_unknown(record: Mapping[str, Any], known: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(record) - known)
    if unknown:
        raise RecordError(f"{prefix}{unknown[0]}", problem("unknown field"))


def _text(record: Mapping[str, Any], key: str, prefix: str = "", *,
          required: bool = True, limit: int = TEXT_LIMIT) -> Any:
    value = record.get(key)
    if value is None and not required:
        return None
    if wire.text(value, limit) is None:
        if isinstance(value, str) and len(value) > limit:
            raise RecordError(f"{prefix}{key}",
                              problem("longer than %(limit)s characters", limit=limit))
        if isinstance(value, str) and plain_text.line_problem(value):
            raise RecordError(f"{prefix}{key}", problem(
                "one line, without line breaks, control characters or direction marks"))
        raise RecordError(f"{prefix}{key}",
                          problem("required text, without leading or trailing spaces"))
    return value


def _name(record: Mapping[str, Any], key: str, prefix: str) -> str:
    """A person's name: printed in our e-mails and payment files, so neither a link nor
    an address, and no longer than a name."""
    value: str = _text(record, key, prefix, limit=plain_text.NAME_LIMIT)
    if plain_text.name_problem(value) is not None:
        raise RecordError(f"{prefix}{key}", problem("a person's name, without '://' or '@'"))
    return value


def _reference(record: Mapping[str, Any]) -> str:
    value = record.get("reference")
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value):
        raise RecordError("reference", problem("4 to 20 letters and digits"))
    return normalise_reference(value)


def _service(record: Mapping[str, Any], prefix: str) -> str:
    return " ".join(_text(record, "service", prefix, limit=SERVICE_LIMIT).split())


def _choice(record: Mapping[str, Any], key: str, allowed: set[str] | frozenset[str], *,
            required: bool = True, prefix: str = "") -> Any:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise RecordError(f"{prefix}{key}",
                          problem("one of %(allowed)s", allowed=", ".join(sorted(allowed))))
    return value


def _amount(record: Mapping[str, Any], key: str, prefix: str) -> Decimal:
    value = wire.amount(record.get(key))
    if value is None:
        raise RecordError(f"{prefix}{key}", wire.amount_problem(record.get(key)))
    return value


def _currency(record: Mapping[str, Any], prefix: str) -> str:
    value = record.get("currency")
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise RecordError(f"{prefix}currency", problem("an ISO 4217 code such as EUR"))
    return value


def _date(record: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> date | None:
    value = record.get(key)
    if value is None and not required:
        return None
    result = wire.day(value)
    if result is None:
        raise RecordError(f"{prefix}{key}", wire.DATE_MESSAGE)
    return result


def _instant(record: Mapping[str, Any], key: str, prefix: str, *,
             required: bool = True) -> datetime | None:
    value = record.get(key)
    if value is None and not required:
        return None
    result = wire.instant(value)
    if result is None:
        raise RecordError(f"{prefix}{key}", wire.INSTANT_MESSAGE)
    return result


# The records as the API document shows them, from the lists above: one variant per
# regime for bookings, two for operations (ran, or cancelled).
RECORD_RULES_NOT_IN_THE_SCHEMA = (
    "operator: the operator whose API key sends the record",
    "payment.iban: its check digits are right (ISO 13616)",
    "legs: each arrives after it departs, and departs after the previous one arrives",
    f"legs[].service_date: the leg's departure date (local) or up to "
    f"{SERVICE_DAY_BEFORE.days} days before it; without it, the departure date",
    "fare.valid_until: not before fare.valid_from",
    "texts: storable Unicode, without half a surrogate pair",
)


def _also_checked() -> str:
    return "Also checked, beyond what a schema can say: " + "; ".join(
        RECORD_RULES_NOT_IN_THE_SCHEMA) + "."


def booking_schema(operator: wire.Schema) -> wire.Schema:
    passenger = wire.obj({"name": wire.name_schema(), "email": wire.nullable(
        {"type": "string", "maxLength": TEXT_LIMIT, "pattern": EMAIL_PATTERN}),
        "language": wire.nullable(wire.choice_schema(LANGUAGES))}, ["name"])
    payment = wire.nullable(wire.obj({"iban": {"type": "string", "minLength": 15,
                                           "maxLength": TEXT_LIMIT,
                                           "pattern": wire.TRIMMED_PATTERN},
                                  "holder": wire.name_schema()}, ["iban", "holder"]))
    fare_base = {"amount": wire.amount_schema(),
                 "currency": {"type": "string", "pattern": wire.CURRENCY_PATTERN}}
    fare = {"oneOf": [
        wire.obj({**fare_base, "kind": wire.choice_schema(FARE_KINDS - {"season"}),
                  "valid_from": wire.nullable(wire.date_schema()),
                  "valid_until": wire.nullable(wire.date_schema())},
                 ["amount", "currency", "kind"]),
        wire.obj({**fare_base, "kind": wire.choice_schema({"season"}),
                  "valid_from": wire.date_schema(), "valid_until": wire.date_schema()},
                 ["amount", "currency", "kind", "valid_from", "valid_until"]),
    ]}

    def legs(place: wire.Schema) -> wire.Schema:
        leg = wire.obj({"service": wire.text_schema(SERVICE_LIMIT), "origin": place,
                        "destination": place, "scheduled_departure": wire.instant_schema(),
                        "scheduled_arrival": wire.instant_schema(),
                        "leg_amount": wire.amount_schema(),
                        "service_date": wire.nullable(wire.date_schema())},
                       ["service", "origin", "destination", "scheduled_departure",
                        "scheduled_arrival"])
        return {"type": "array", "minItems": 1, "items": leg}

    common = {"reference": {"type": "string", "pattern": REFERENCE_PATTERN},
              "operator": operator, "passenger": passenger, "fare": fare, "payment": payment}
    required = ["reference", "operator", "regime", "passenger", "fare", "legs"]

    def variant(regime: str, extra: dict[str, wire.Schema], *more: str) -> wire.Schema:
        return wire.obj({"regime": wire.choice_schema([regime]), **common, **extra},
                        [*required, *more], title=f"booking ({regime})")

    airport_code = {"type": "string", "pattern": wire.IATA_PATTERN}
    place = wire.text_schema(PLACE_LIMIT)
    return {"oneOf": [
        variant(Regime.EU_RAIL, {"legs": legs(place)}),
        variant(Regime.UK_RAIL, {"legs": legs(place),
                                 "scheme": wire.nullable(wire.choice_schema(SCHEMES))}),
        variant(Regime.EU_AIR, {"legs": legs(airport_code), "carrier_eu": {"type": "boolean"}},
                "carrier_eu"),
    ], "discriminator": {"propertyName": "regime"}, "description": _also_checked()}


def operations_schema(operator: wire.Schema) -> wire.Schema:
    common = {"operator": operator, "service": wire.text_schema(SERVICE_LIMIT),
              "date": wire.date_schema(), "stop": wire.text_schema(PLACE_LIMIT),
              "cause": wire.nullable(wire.choice_schema(CAUSES)),
              "notice_days": wire.nullable({"type": "integer", "minimum": 0,
                                        "maximum": NOTICE_DAYS_LIMIT}),
              "rerouted_departure": wire.nullable(wire.instant_schema()),
              "rerouted_arrival": wire.nullable(wire.instant_schema()),
              "scheduled_arrival": wire.nullable(wire.instant_schema())}
    required = ["operator", "service", "date", "stop"]
    return {"oneOf": [
        wire.obj({**common, "cancelled": {"type": "boolean", "enum": [False]},
                  "actual_arrival": wire.instant_schema()}, [*required, "actual_arrival"],
                 title="operations record (ran)"),
        wire.obj({**common, "cancelled": {"type": "boolean", "enum": [True]},
                  "actual_arrival": wire.nullable(wire.instant_schema())}, [*required, "cancelled"],
                 title="operations record (cancelled)"),
    ], "description": _also_checked()}
