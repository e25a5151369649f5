"""Builders of import records in the formats of data-formats.md, for tests."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

# Recent travel: claims are checked against their deadlines.
DAY = (date.today() - timedelta(days=5)).isoformat()


def rail_booking(reference: str = "Q7K2LM", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "reference": reference, "operator": "test-rail", "regime": "eu-rail",
        "passenger": {"name": "Erika Mustermann", "email": "erika@example.org"},
        "fare": {"amount": "79.00", "currency": "EUR", "kind": "single"},
        "payment": {"iban": "DE02120300000000202051", "holder": "Erika Mustermann"},
        "legs": [
            {"service": "ICE 597", "origin": "Frankfurt(Main) Hbf",
             "destination": "Mannheim Hbf",
             "scheduled_departure": f"{DAY}T10:13:00+01:00",
             "scheduled_arrival": f"{DAY}T10:51:00+01:00"},
            {"service": "IC 2013", "origin": "Mannheim Hbf", "destination": "Stuttgart Hbf",
             "scheduled_departure": f"{DAY}T11:06:00+01:00",
             "scheduled_arrival": f"{DAY}T11:44:00+01:00"}],
    }
    record = copy.deepcopy(record)
    record.update(changes)
    return record


def return_booking(reference: str, name: str) -> dict[str, Any]:
    """There (ICE 597 to Mannheim) and back (ICE 598) on one return ticket."""
    there = {"service": "ICE 597", "origin": "Frankfurt(Main) Hbf",
             "destination": "Mannheim Hbf", "scheduled_departure": f"{DAY}T10:13:00+01:00",
             "scheduled_arrival": f"{DAY}T10:51:00+01:00"}
    back = {"service": "ICE 598", "origin": "Mannheim Hbf",
            "destination": "Frankfurt(Main) Hbf",
            "scheduled_departure": f"{DAY}T18:13:00+01:00",
            "scheduled_arrival": f"{DAY}T18:51:00+01:00"}
    return rail_booking(reference, passenger={"name": name},
                        fare={"amount": "90.00", "currency": "EUR", "kind": "return"},
                        legs=[there, back])


def arrival(service: str = "IC 2013", stop: str = "Stuttgart Hbf",
            actual: str | None = f"{DAY}T12:58:00+01:00", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"operator": "test-rail", "service": service, "date": f"{DAY}",
                              "stop": stop, "actual_arrival": actual, "cancelled": False,
                              "cause": "technical"}
    record.update(changes)
    return record
