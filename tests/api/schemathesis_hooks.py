"""Schemathesis hooks: generated bodies made to keep the rules the API document states in
words because a schema cannot say them (each schema's description lists them). Nothing
else is changed, and schemathesis validates the body again after the hook: every other
rejection of a schema-valid body is a failure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import schemathesis

from claims.core.rules import airports
from tools.bank_files import payment_status_report

VALID_IBAN = "DE02120300000000202051"
START = datetime.fromisoformat("2026-03-02T10:00:00+01:00")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    path = context.operation.path
    if path in ("/bookings", "/operations") and isinstance(case.body, list):
        case.body[:] = [_storable(record) for record in case.body]
    if path == "/bookings" and isinstance(case.body, list):
        for record in case.body:
            _booking(record)
    if path == "/assessments" and isinstance(case.body, dict):
        _assessment(case.body)
    if path == "/bank-feedback" and isinstance(case.body, bytes | str):
        # "valid against its ISO 20022 schema": a status report on no transfer of ours.
        case.body = payment_status_report([])


def _storable(value: Any) -> Any:
    """Texts as a database stores them: no half surrogate pair, which no schema validator's
    regex can name (the document says it in words). Each becomes an "x", so that a text
    the schema's pattern took keeps to it: trimmed, one line, no link in a name."""
    if isinstance(value, str):
        return "".join("x" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    return value


def _booking(record: Any) -> None:
    if not isinstance(record, dict):
        return
    passenger = record.get("passenger")
    if isinstance(passenger, dict) and isinstance(passenger.get("email"), str) and \
            not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", passenger["email"]):
        passenger["email"] = "passenger@example.org"  # what _storable left of it
    if isinstance(record.get("payment"), dict) and isinstance(record["payment"].get("iban"),
                                                              str):
        record["payment"]["iban"] = VALID_IBAN
    legs = record.get("legs")
    if isinstance(legs, list):
        for index, leg in enumerate(legs):
            if isinstance(leg, dict) and isinstance(leg.get("scheduled_departure"), str) \
                    and isinstance(leg.get("scheduled_arrival"), str):
                leg["scheduled_departure"] = (START + timedelta(hours=2 * index)).isoformat()
                leg["scheduled_arrival"] = (START + timedelta(hours=2 * index + 1)).isoformat()
            if isinstance(leg, dict) and isinstance(leg.get("service_date"), str):
                # The train's service day: the departure's date (or up to two days before).
                departure = leg.get("scheduled_departure")
                leg["service_date"] = departure[:10] if isinstance(departure, str) \
                    and len(departure) >= 10 else START.date().isoformat()
    fare = record.get("fare")
    if isinstance(fare, dict) and isinstance(fare.get("valid_from"), str) and \
            isinstance(fare.get("valid_until"), str):
        low, high = sorted((fare["valid_from"], fare["valid_until"]))
        fare["valid_from"], fare["valid_until"] = low, high


def _assessment(body: dict[str, Any]) -> None:
    fare = body.get("fare") if isinstance(body.get("fare"), dict) else None
    if isinstance(body.get("leg_amount"), str):
        if fare is None or fare.get("kind") != "return":
            body.pop("leg_amount")
        else:
            try:
                if Decimal(body["leg_amount"]) > Decimal(fare["amount"]):
                    body["leg_amount"] = fare["amount"]
            except (InvalidOperation, KeyError, TypeError):
                pass
    if body.get("regime") == "eu-air":
        origin = body.get("origin")
        if isinstance(origin, str) and origin == body.get("destination"):
            body["destination"] = "FRA" if origin != "FRA" else "MUC"
        if body.get("cancelled") is True and body.get("scheduled_departure") is None:
            body["scheduled_departure"] = START.isoformat()
        if isinstance(origin, str) and airports.known(origin) and \
                not airports.in_regulation_area(origin) and body.get("carrier_eu") is None:
            body["carrier_eu"] = False
