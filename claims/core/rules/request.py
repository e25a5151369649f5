"""The assessment request of rules.md, validated field by field.

Every problem is collected, so one answer tells the caller all that is wrong:
{"fare.amount": ["..."], "origin": ["..."]}."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from claims.core import wire
from claims.core.problems import Problem, problem
from claims.core.rules import airports
from claims.core.rules.causes import CAUSES
from claims.core.rules.eu_rail import MAXIMUM_THRESHOLD
from claims.core.rules.journey_input import Fare, JourneyInput
from claims.core.rules.uk_rail import SCHEMES
from claims.core.vocabulary import REGIMES

FIELDS = frozenset({
    "regime", "scheduled_arrival", "actual_arrival", "cancelled", "cause", "fare",
    "leg_amount", "minimum_payout", "informed_before_purchase", "scheme", "origin",
    "destination", "carrier_eu", "scheduled_departure", "cancellation_notice_days",
    "rerouted_departure", "rerouted_arrival",
})


# Only a flight has airports, and only a flight's carrier's licence matters.
AIR_ONLY = ("origin", "destination")
FARE_KINDS = ("single", "return", "season")


class InvalidRequest(ValueError):
    """{field: [problems]}: each problem is English, and translatable by the web layer."""

    def __init__(self, errors: dict[str, list[Problem]]) -> None:
        super().__init__(errors)
        self.errors = errors


class _Reader:
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.errors: dict[str, list[Problem]] = {}

    def error(self, field: str, message: Problem) -> None:
        self.errors.setdefault(field, []).append(message)

    def instant(self, field: str, *, required: bool = False) -> datetime | None:
        value = self.body.get(field)
        if value is None:
            if required:
                self.error(field, problem("required"))
            return None
        moment = wire.instant(value)
        if moment is None:
            self.error(field, wire.INSTANT_MESSAGE)
        return moment

    def flag(self, field: str, default: bool) -> bool:
        value = self.body.get(field, default)
        if not isinstance(value, bool):
            self.error(field, problem("true or false"))
            return default
        return value

    def amount(self, field: str, value: Any) -> Decimal | None:
        # A JSON number is refused too: money must be exact.
        result = wire.amount(value)
        if result is None:
            self.error(field, wire.amount_problem(value))
        return result

    def choice(self, field: str, allowed: tuple[str, ...] | frozenset[str], default: str) -> str:
        value = self.body.get(field, default)
        if not isinstance(value, str) or value not in allowed:
            self.error(field, problem("one of %(allowed)s", allowed=", ".join(sorted(allowed))))
            return default
        return str(value)

    def airport(self, field: str) -> str | None:
        value = self.body.get(field)
        if value is None:
            self.error(field, problem("required for eu-air: an IATA airport code such as FRA"))
            return None
        if not isinstance(value, str) or not airports.known(value):
            self.error(field, problem("not a known IATA airport code"))
            return None
        return value


def parse_request(body: Any) -> JourneyInput:
    if not isinstance(body, dict):
        raise InvalidRequest({"body": [problem("a JSON object is required")]})
    reader = _Reader(body)
    for unknown in sorted(set(body) - FIELDS):
        reader.error(unknown, problem("unknown field"))

    regime = body.get("regime")
    if regime not in REGIMES:
        reader.error("regime", problem("required: one of %(allowed)s",
                                       allowed=", ".join(REGIMES)))
    scheduled_arrival = reader.instant("scheduled_arrival", required=True)
    actual_arrival = reader.instant("actual_arrival")
    cancelled = reader.flag("cancelled", False)
    cause = reader.choice("cause", CAUSES, "unknown")
    informed = reader.flag("informed_before_purchase", False)
    scheme = reader.choice("scheme", SCHEMES, "DR15")

    fare = _fare(reader, body.get("fare"), required=regime in ("eu-rail", "uk-rail"))
    leg_amount = None
    if body.get("leg_amount") is not None:
        leg_amount = reader.amount("leg_amount", body["leg_amount"])
        if fare is not None and fare.kind != "return":
            reader.error("leg_amount",
                         problem("only for a return ticket whose legs are priced apart"))
        elif fare is not None and leg_amount is not None and leg_amount > fare.amount:
            reader.error("leg_amount", problem("more than the whole fare"))
    minimum = Decimal("4.00")
    if body.get("minimum_payout") is not None:
        asked = reader.amount("minimum_payout", body["minimum_payout"])
        # 0.00 is a real minimum (no threshold, Art. 19(8)), not "use the default".
        minimum = asked if asked is not None else minimum
        if minimum > MAXIMUM_THRESHOLD:
            reader.error("minimum_payout",
                         problem("at most 4.00: Art. 19(8) allows no higher threshold"))
    if regime == "uk-rail" and fare is not None and fare.kind == "season":
        reader.error("fare.kind", problem("Delay Repay on season tickets is not assessed here"))

    origin = destination = None
    carrier_eu = body.get("carrier_eu")
    scheduled_departure = reader.instant("scheduled_departure")
    rerouted_departure = reader.instant("rerouted_departure")
    rerouted_arrival = reader.instant("rerouted_arrival")
    notice = body.get("cancellation_notice_days")
    if notice is not None and (isinstance(notice, bool) or not isinstance(notice, int)
                               or not 0 <= notice <= 3650):
        reader.error("cancellation_notice_days", problem("a whole number of days, 0 or more"))
        notice = None
    if carrier_eu is not None and not isinstance(carrier_eu, bool):
        reader.error("carrier_eu", problem("true or false"))
        carrier_eu = None
    if regime != "eu-air":
        for field in AIR_ONLY:
            if field in body:
                reader.error(field, problem("only for eu-air"))
    if regime == "eu-air":
        origin, destination = reader.airport("origin"), reader.airport("destination")
        if origin and destination and origin == destination:
            reader.error("destination", problem("the same airport as the origin"))
        if cancelled and scheduled_departure is None:
            reader.error("scheduled_departure", problem("required for a cancelled flight"))
        if (origin and not airports.in_regulation_area(origin) and carrier_eu is None):
            reader.error("carrier_eu",
                         problem("required for a flight departing outside the EU"))

    if reader.errors:
        raise InvalidRequest(reader.errors)
    if scheduled_arrival is None or not isinstance(regime, str):
        raise InvalidRequest({"scheduled_arrival": [problem("required")]})
    return JourneyInput(
        regime=regime, scheduled_arrival=scheduled_arrival, actual_arrival=actual_arrival,
        cancelled=cancelled, cause=cause, fare=fare, leg_amount=leg_amount,
        minimum_payout=minimum, informed_before_purchase=informed, scheme=scheme,
        origin=origin, destination=destination, carrier_eu=carrier_eu,
        scheduled_departure=scheduled_departure, cancellation_notice_days=notice,
        rerouted_departure=rerouted_departure, rerouted_arrival=rerouted_arrival,
    )


def _fare(reader: _Reader, value: Any, *, required: bool) -> Fare | None:
    if value is None:
        if required:
            reader.error("fare", problem("required for rail: {amount, currency, kind}"))
        return None
    if not isinstance(value, dict):
        reader.error("fare", problem("an object {amount, currency, kind}"))
        return None
    for unknown in sorted(set(value) - {"amount", "currency", "kind"}):
        reader.error(f"fare.{unknown}", problem("unknown field"))
    amount = reader.amount("fare.amount", value.get("amount"))
    currency = value.get("currency")
    if not (isinstance(currency, str) and re.fullmatch(wire.CURRENCY_PATTERN, currency)):
        reader.error("fare.currency", problem("an ISO 4217 code such as EUR"))
        currency = None
    kind = value.get("kind", "single")
    if kind not in FARE_KINDS:
        reader.error("fare.kind", problem("one of return, season, single"))
        kind = None
    if amount is None or currency is None or kind is None:
        return None
    return Fare(amount, currency, kind)


# What the rules take, as the API document shows it: one variant per regime.
_MAX_WHOLE = int(MAXIMUM_THRESHOLD)
MINIMUM_PAYOUT_PATTERN = (rf"^([0-{_MAX_WHOLE - 1}](\.[0-9]{{1,2}})?|{_MAX_WHOLE}(\.0{{1,2}})?)$")
assert MAXIMUM_THRESHOLD == _MAX_WHOLE, "the pattern above assumes a whole threshold"
RULES_NOT_IN_THE_SCHEMA = (
    "leg_amount: only with a return fare, and not more than the fare",
    "eu-air: destination differs from origin; a cancelled flight has scheduled_departure; "
    "a flight from outside the EU states carrier_eu",
)


def request_schema(airport: wire.Schema) -> wire.Schema:
    """The assessment request per regime; `airport` is the schema of an IATA code (the
    document keeps the long list once)."""
    def fare(kinds: tuple[str, ...]) -> wire.Schema:
        return wire.obj({"amount": wire.amount_schema(),
                         "currency": {"type": "string", "pattern": wire.CURRENCY_PATTERN},
                         "kind": wire.choice_schema(kinds, default="single")},
                        ["amount", "currency"])

    common: dict[str, wire.Schema] = {
        "scheduled_arrival": wire.instant_schema(),
        "actual_arrival": wire.nullable(wire.instant_schema()),
        "cancelled": {"type": "boolean", "default": False},
        "cause": wire.choice_schema(CAUSES, default="unknown"),
        "leg_amount": wire.nullable(wire.amount_schema()),
        "minimum_payout": wire.nullable({"type": "string", "pattern": MINIMUM_PAYOUT_PATTERN,
                                    "default": "4.00"}),
        "informed_before_purchase": {"type": "boolean", "default": False},
        "scheme": wire.choice_schema(SCHEMES, default="DR15"),
        "carrier_eu": wire.nullable({"type": "boolean"}),
        "scheduled_departure": wire.nullable(wire.instant_schema()),
        "cancellation_notice_days": wire.nullable({"type": "integer", "minimum": 0,
                                              "maximum": 3650}),
        "rerouted_departure": wire.nullable(wire.instant_schema()),
        "rerouted_arrival": wire.nullable(wire.instant_schema()),
    }

    def variant(regime: str, extra: dict[str, wire.Schema], required: list[str]) -> wire.Schema:
        return wire.obj({"regime": wire.choice_schema([regime]), **common, **extra},
                        ["regime", "scheduled_arrival", *required], title=regime)

    return {"oneOf": [
        variant("eu-rail", {"fare": fare(FARE_KINDS)}, ["fare"]),
        variant("uk-rail", {"fare": fare(("single", "return"))}, ["fare"]),
        variant("eu-air", {"fare": wire.nullable(fare(FARE_KINDS)), "origin": airport,
                           "destination": airport}, ["origin", "destination"]),
    ], "discriminator": {"propertyName": "regime"},
        "description": "Also checked, beyond what a schema can say: "
                       + "; ".join(RULES_NOT_IN_THE_SCHEMA) + "."}
