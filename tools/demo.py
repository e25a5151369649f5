"""Deterministic demo data: three operators, a few thousand bookings with real station and
airport names, and operations records with a realistic spread of outcomes.

Produces records in the import formats of data-formats.md, so the demo goes through the
same import path as an operator's data. Same seed, same data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import airportsdata
from schwifty import IBAN

from claims.core.rules import airports

BASE_DATE = date(2026, 10, 5)  # spans the end of summer time on 25 October
DAYS = 42


@dataclass(frozen=True)
class DemoOperator:
    slug: str
    name: str
    regime: str
    payout_iban: str  # the account payouts are sent from
    # When the workers pay its approved claims (claims.core.payout_schedule): Demo Rail
    # often, so that a run happens within minutes of `make run`.
    payout_schedule: str


OPERATORS = (
    DemoOperator("demo-rail", "Demo Rail", "eu-rail", "DE89370400440532013000", "every:5"),
    DemoOperator("demo-air", "Demo Air", "eu-air", "DE02120300000000202051", "manual"),
    DemoOperator("demo-uk", "Demo Trains UK", "uk-rail", "GB33BUKB20201555555555", "daily@14"),
)

# (station, minutes from the line's start) along real lines.
RAIL_LINES = (
    ("ICE", [("Hamburg Hbf", 0), ("Hannover Hbf", 80), ("Göttingen", 112),
             ("Kassel-Wilhelmshöhe", 132), ("Fulda", 165), ("Frankfurt(Main) Hbf", 222),
             ("Mannheim Hbf", 262), ("Stuttgart Hbf", 300), ("München Hbf", 432)]),
    ("ICE", [("Berlin Hbf", 0), ("Leipzig Hbf", 75), ("Erfurt Hbf", 120),
             ("Nürnberg Hbf", 185), ("München Hbf", 250)]),
    ("IC", [("Köln Hbf", 0), ("Bonn Hbf", 22), ("Koblenz Hbf", 58), ("Mainz Hbf", 112),
            ("Mannheim Hbf", 150), ("Karlsruhe Hbf", 178), ("Freiburg(Breisgau) Hbf", 240),
            ("Basel Bad Bf", 285)]),
    ("ICE", [("Amsterdam Centraal", 0), ("Utrecht Centraal", 27), ("Arnhem Centraal", 65),
             ("Duisburg Hbf", 132), ("Düsseldorf Hbf", 146), ("Köln Hbf", 170),
             ("Frankfurt(Main) Hbf", 248)]),
)
UK_LINE = [("London Kings Cross", 0), ("Stevenage", 20), ("Peterborough", 48),
           ("Grantham", 68), ("Doncaster", 100), ("York", 120), ("Darlington", 145),
           ("Durham", 162), ("Newcastle", 178), ("Edinburgh", 270)]
AIRPORTS = ("FRA", "MUC", "BER", "HAM", "DUS", "CDG", "AMS", "MAD", "BCN", "LIS", "FCO",
            "VIE", "ZRH", "OSL", "KEF", "CPH", "ATH", "LPA", "PDL", "LHR", "JFK", "DXB", "ORD")

FIRST_NAMES = ("Erika", "Max", "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lea",
               "Paul", "Claire", "Louis", "Lucía", "Mateo", "Giulia", "Marco", "Olivia",
               "Oliver", "Amelia", "Harry", "Zoë", "Jürgen", "Ayşe", "Mehmet", "Ingrid")
SURNAMES = ("Mustermann", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
            "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Dupont", "Martin", "García",
            "Rossi", "Smith", "Jones", "Taylor", "Brown", "Jansen", "de Vries", "Yılmaz",
            "Nowak", "Öztürk", "Groß", "Björnsson")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FORCE_MAJEURE = ("extreme-weather", "third-party", "natural-disaster")
ORDINARY_CAUSES = ("technical", "technical", "operator", "infrastructure", "own-staff-strike")
AIR_EXEMPT = ("extreme-weather", "air-traffic-control", "security", "third-party-strike")


@dataclass
class DemoData:
    bookings: list[dict[str, Any]] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    # (reference, surname, what the passenger should see) for the README and `make run`.
    featured: list[tuple[str, str, str]] = field(default_factory=list)
    # Claims already filed, so that the clerk queue and the reports have something in
    # them: (reference, the passenger's statement or None).
    claims: list[tuple[str, str | None]] = field(default_factory=list)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.data = DemoData()
        self.references: set[str] = set()
        self.airports = airportsdata.load("IATA")
        self.flight_numbers: dict[tuple[str, str], int] = {}
        self.operations: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.fixed_day: date | None = None

    def add_operations(self, record: dict[str, Any]) -> None:
        """One train or flight has one outcome, whichever booking drew it first."""
        key = (record["operator"], record["service"], record["date"], record["stop"])
        self.operations.setdefault(key, record)

    def flight_number(self, origin: str, destination: str) -> int:
        return self.flight_numbers.setdefault((origin, destination),
                                              100 + 7 * len(self.flight_numbers))

    def reference(self) -> str:
        while True:
            candidate = "".join(self.rng.choice(ALPHABET) for _ in range(6))
            if candidate not in self.references:
                self.references.add(candidate)
                return candidate

    def passenger(self, surname: str | None = None) -> dict[str, str]:
        first = self.rng.choice(FIRST_NAMES)
        last = surname or self.rng.choice(SURNAMES)
        local = f"{first}.{last}".lower().replace(" ", "")
        ascii_local = local.encode("ascii", "ignore").decode() or "passenger"
        return {"name": f"{first} {last}", "email": f"{ascii_local}@example.org"}

    def payment(self, name: str) -> dict[str, str] | None:
        if self.rng.random() > 0.6:
            return None
        account = str(self.rng.randrange(10**8, 10**10))
        iban = IBAN.generate("DE", bank_code="37040044", account_code=account)
        return {"iban": str(iban.compact), "holder": name}

    def day(self) -> date:
        drawn = BASE_DATE + timedelta(days=self.rng.randrange(DAYS))
        # The featured bookings are recent trips, so that they stay within every regime's
        # claim deadline whenever the demo is seeded (the draw above keeps the rest stable).
        return self.fixed_day or drawn


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _rail_legs(gen: _Generator, line: list[tuple[str, int]], kind: str, first_number: int,
               day: date, start_minute: int, zone: ZoneInfo,
               *, change: bool) -> list[dict[str, Any]]:
    """One or two legs along a line; a change means a second service from the middle stop.

    Trains leave hourly and are numbered by line and hour, so bookings share trains (and
    their outcome), as on a real day."""
    a = gen.rng.randrange(0, len(line) - 2)
    b = gen.rng.randrange(a + 2, len(line))
    stops = [line[a], line[b]]
    if change and b - a >= 2:
        middle = gen.rng.randrange(a + 1, b)
        stops = [line[a], line[middle], line[b]]
    legs, wait = [], 0
    for index, (origin, destination) in enumerate(pairwise(stops)):
        departure = start_minute + (origin[1] - line[a][1]) + wait
        arrival = start_minute + (destination[1] - line[a][1]) + wait
        number = first_number + index * 2 + 1
        legs.append({
            "service": f"{kind} {number}", "origin": origin[0], "destination": destination[0],
            "scheduled_departure": _iso(_at(day, departure, zone)),
            "scheduled_arrival": _iso(_at(day, arrival, zone)),
        })
        wait += 15  # the connection: fifteen minutes to change trains
    return legs


def _outcome(gen: _Generator, legs: list[dict[str, Any]], operator: str,
             scenario: str | None = None, *, air: bool = False) -> None:
    """Write the operations records for a journey under a drawn (or given) scenario."""
    roll = gen.rng.random()
    if scenario is None:
        scenario = ("on-time" if roll < 0.52 else "minor" if roll < 0.64 else
                    "delay-60" if roll < 0.77 else "delay-120" if roll < 0.85 else
                    "cancelled" if roll < 0.89 else "force-majeure" if roll < 0.94 else
                    "missed" if roll < 0.97 and len(legs) > 1 else "no-data")
    if scenario == "no-data":
        return
    ranges = {"on-time": (0, 4), "minor": (5, 59), "delay-60": (60, 119),
              "delay-120": (120, 260), "force-majeure": (65, 240), "missed": (5, 40)}
    if air:
        ranges.update({"minor": (5, 170), "delay-60": (180, 240), "delay-120": (241, 420)})
    for index, leg in enumerate(legs):
        last = index == len(legs) - 1
        scheduled = datetime.fromisoformat(leg["scheduled_arrival"])
        record: dict[str, Any] = {
            "operator": operator, "service": leg["service"],
            "date": datetime.fromisoformat(leg["scheduled_departure"]).date().isoformat(),
            "stop": leg["destination"], "cancelled": False,
        }
        if scenario == "missed" and not last:
            minutes = 30 + gen.rng.randrange(10, 40)
            record["cause"] = gen.rng.choice(ORDINARY_CAUSES)
        elif scenario == "cancelled" and last:
            record.update(cancelled=True, actual_arrival=None,
                          cause=gen.rng.choice(ORDINARY_CAUSES))
            if air:
                record["notice_days"] = gen.rng.choice((0, 2, 5, 10, 20))
            gen.add_operations(record)
            continue
        elif last:
            low, high = ranges.get(scenario, (0, 4))
            minutes = gen.rng.randint(low, high)
            exempt = AIR_EXEMPT if air else FORCE_MAJEURE
            record["cause"] = (gen.rng.choice(exempt) if scenario == "force-majeure"
                               else gen.rng.choice(ORDINARY_CAUSES) if minutes >= 15
                               else "unknown")
        else:
            minutes = gen.rng.randint(0, 4)
            record["cause"] = "unknown"
        record["actual_arrival"] = _iso(scheduled + timedelta(minutes=minutes))
        gen.add_operations(record)


def _price(gen: _Generator, minutes: int, per_minute: float, floor: int) -> Decimal:
    euros = max(floor, int(minutes * per_minute * gen.rng.uniform(0.7, 1.3)))
    return Decimal(euros) + Decimal("0.90")


def _rail_booking(gen: _Generator, *, reference: str | None = None, surname: str | None = None,
                  scenario: str | None = None, kind: str | None = None,
                  change: bool | None = None) -> dict[str, Any]:
    berlin = ZoneInfo("Europe/Berlin")
    line_index = gen.rng.randrange(len(RAIL_LINES))
    line_kind, line = RAIL_LINES[line_index]
    day = gen.day()
    hour = gen.rng.randrange(6, 20)
    legs = _rail_legs(gen, line, line_kind, (line_index + 1) * 100 + (hour - 6) * 4, day,
                      hour * 60 + 13, berlin,
                      change=gen.rng.random() < 0.3 if change is None else change)
    fare_kind = kind or ("return" if gen.rng.random() < 0.25 else "single")
    minutes = int((datetime.fromisoformat(legs[-1]["scheduled_arrival"])
                   - datetime.fromisoformat(legs[0]["scheduled_departure"])).total_seconds() // 60)
    price = _price(gen, minutes, 0.32, 17) * (2 if fare_kind == "return" else 1)
    passenger = gen.passenger(surname)
    booking: dict[str, Any] = {
        "reference": reference or gen.reference(), "operator": "demo-rail", "regime": "eu-rail",
        "passenger": passenger,
        "fare": {"amount": f"{price:.2f}", "currency": "EUR", "kind": fare_kind},
        "legs": legs,
    }
    payment = gen.payment(passenger["name"])
    if payment:
        booking["payment"] = payment
    gen.data.bookings.append(booking)
    _outcome(gen, legs, "demo-rail", scenario)
    return booking


def _air_booking(gen: _Generator, *, reference: str | None = None,
                 surname: str | None = None, scenario: str | None = None) -> dict[str, Any]:
    origin, destination = gen.rng.sample(AIRPORTS, 2)
    a, b = gen.airports[origin], gen.airports[destination]
    origin_zone = ZoneInfo(a["tz"])
    day = gen.day()
    departure = _at(day, 7 * 60 + 35 + (gen.flight_number(origin, destination) % 12) * 60,
                    origin_zone)
    hours = max(1.0, airports.distance_km(origin, destination) / 780 + 0.5)
    arrival = (departure + timedelta(minutes=int(hours * 60) // 5 * 5)).astimezone(
        ZoneInfo(b["tz"]))
    legs = [{"service": f"DA {gen.flight_number(origin, destination)}", "origin": origin,
             "destination": destination, "scheduled_departure": _iso(departure),
             "scheduled_arrival": _iso(arrival)}]
    passenger = gen.passenger(surname)
    booking = {
        "reference": reference or gen.reference(), "operator": "demo-air", "regime": "eu-air",
        "carrier_eu": True, "passenger": passenger,
        "fare": {"amount": f"{_price(gen, int(hours * 60), 0.9, 49):.2f}", "currency": "EUR",
                 "kind": "single"},
        "legs": legs,
    }
    gen.data.bookings.append(booking)
    _outcome(gen, legs, "demo-air", scenario, air=True)
    return booking


def _uk_booking(gen: _Generator, *, reference: str | None = None,
                surname: str | None = None, scenario: str | None = None) -> dict[str, Any]:
    london = ZoneInfo("Europe/London")
    day = gen.day()
    hour = gen.rng.randrange(6, 21)
    legs = _rail_legs(gen, UK_LINE, "1S", hour, day, hour * 60 + 30, london, change=False)
    legs[0]["service"] = f"1S{hour:02d}"
    fare_kind = "return" if gen.rng.random() < 0.4 else "single"
    minutes = int((datetime.fromisoformat(legs[-1]["scheduled_arrival"])
                   - datetime.fromisoformat(legs[0]["scheduled_departure"])).total_seconds() // 60)
    price = _price(gen, minutes, 0.45, 12) * (2 if fare_kind == "return" else 1)
    booking = {
        "reference": reference or gen.reference(), "operator": "demo-uk", "regime": "uk-rail",
        "scheme": "DR15", "passenger": gen.passenger(surname),
        "fare": {"amount": f"{price:.2f}", "currency": "GBP", "kind": fare_kind},
        "legs": legs,
    }
    gen.data.bookings.append(booking)
    _outcome(gen, legs, "demo-uk", scenario)
    return booking


FEATURED: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    # reference, surname, maker, scenario, options
    ("DEMO01", "Mustermann", "rail", "delay-60", {"kind": "single", "change": True}),
    ("DEMO02", "Müller", "rail", "delay-120", {"kind": "return", "change": False}),
    ("DEMO03", "Schmidt", "rail", "minor", {"kind": "single", "change": False}),
    ("DEMO04", "Weber", "rail", "missed", {"kind": "single", "change": True}),
    ("DEMO05", "Fischer", "rail", "no-data", {"kind": "single", "change": False}),
    ("DEMO06", "Dupont", "air", "delay-120", {}),
    ("DEMO07", "Smith", "uk", "delay-60", {}),
    ("DEMO08", "Becker", "rail", "force-majeure", {"kind": "single", "change": False}),
)


# A storm day's cohort: one train, the operations data say extreme weather, the passengers
# say it was a strike. A clerk reviews it once and decides all of its claims together.
COHORT_SIZE = 12
COHORT_STATEMENT = "Das war kein Unwetter: das Personal hat gestreikt."
# The share of the other bookings whose passengers have claimed already.
CLAIMED_SHARE = 0.08
STATEMENTS = ("I arrived with the next train, ICE 1001.", "The delay was longer than shown.",
              "Ich habe den Anschluss verpasst.")


def generate(seed: int = 1, bookings: int = 3000) -> DemoData:
    gen = _Generator(seed)
    makers = {"rail": _rail_booking, "air": _air_booking, "uk": _uk_booking}
    gen.fixed_day = date.today() - timedelta(days=3)
    for number, (reference, surname, maker, scenario, options) in enumerate(FEATURED, 1):
        gen.references.add(reference)
        makers[maker](gen, reference=reference, surname=surname, scenario=scenario,
                      **options)
        gen.data.featured.append((reference, surname, scenario))
        _account_on_file(gen.data.bookings[-1], number)
    gen.fixed_day = None
    cohort = COHORT_SIZE if bookings >= len(FEATURED) + 2 * COHORT_SIZE else 0
    for _ in range(bookings - len(FEATURED) - cohort):
        roll = gen.rng.random()
        maker = "rail" if roll < 0.6 else "air" if roll < 0.8 else "uk"
        booking = makers[maker](gen)
        if gen.rng.random() < CLAIMED_SHARE:
            statement = gen.rng.choice(STATEMENTS) if gen.rng.random() < 0.15 else None
            gen.data.claims.append((booking["reference"], statement))
    if cohort:
        _storm_cohort(gen, cohort)
    gen.data.operations = list(gen.operations.values())
    return gen.data


def _account_on_file(booking: dict[str, Any], number: int) -> None:
    """The bookings to try show the clear path (name and e-mail, nothing else to type):
    each has an account on file. Derived from its number, not drawn, so that the rest of
    the demo data stays as it was."""
    if "payment" not in booking:
        iban = IBAN.generate("DE", bank_code="37040044", account_code=f"{number:010d}")
        booking["payment"] = {"iban": str(iban.compact),
                              "holder": booking["passenger"]["name"]}


def _storm_cohort(gen: _Generator, size: int) -> None:
    first = _rail_booking(gen, scenario="force-majeure", kind="single", change=False)
    last = first["legs"][-1]
    key = ("demo-rail", last["service"], last["scheduled_departure"][:10], last["destination"])
    gen.operations[key]["cause"] = "extreme-weather"
    gen.data.claims.append((first["reference"], COHORT_STATEMENT))
    for _ in range(size - 1):
        passenger = gen.passenger()
        booking = {**first, "reference": gen.reference(), "passenger": passenger}
        payment = gen.payment(passenger["name"])
        booking.pop("payment", None)
        if payment:
            booking["payment"] = payment
        gen.data.bookings.append(booking)
        gen.data.claims.append((booking["reference"], COHORT_STATEMENT))


def numbered(records: list[dict[str, Any]]) -> Iterator[tuple[int, Any]]:
    return enumerate(records, start=1)


# Proactive compensation on the demo: an operator in offer mode, a late train reported
# after the seed's own data, and the offer it makes waiting in the outbox.
OFFER_REFERENCE, OFFER_SURNAME = "OFFER1", "Sommer"


def offer_scenario(today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lena Sommer's booking and the operations record that makes her an offer: ICE 1001
    yesterday, 95 minutes late into Köln on a 89.90 EUR ticket (25 %: 22.48 EUR)."""
    day = (today - timedelta(days=1)).isoformat()
    booking = {
        "reference": OFFER_REFERENCE, "operator": "demo-rail", "regime": "eu-rail",
        "passenger": {"name": "Lena Sommer", "email": "lena.sommer@example.org",
                      "language": "en"},
        "fare": {"amount": "89.90", "currency": "EUR", "kind": "single"},
        "payment": {"iban": "DE75512108001245126199", "holder": "Lena Sommer"},
        "legs": [{"service": "ICE 1001", "origin": "Frankfurt(Main) Hbf",
                  "destination": "Köln Hbf",
                  "scheduled_departure": f"{day}T08:29:00+01:00",
                  "scheduled_arrival": f"{day}T09:33:00+01:00"}]}
    operations = {"operator": "demo-rail", "service": "ICE 1001", "date": day,
                  "stop": "Köln Hbf", "actual_arrival": f"{day}T11:08:00+01:00",
                  "cancelled": False, "cause": "technical"}
    return booking, operations


# A returned transfer: Clara Hoffmann's compensation was paid to the account on her
# booking, and her bank sent it back (account closed).
RETURNED_REFERENCE, RETURNED_SURNAME = "DEMO09", "Hoffmann"
RETURNED_REASON = "AC04"  # the ISO 20022 reason: account closed


def returned_scenario(today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """Clara Hoffmann's booking and its operations record: ICE 1005 five days ago, 134
    minutes late into Frankfurt on a 109.90 EUR ticket (50 %: 54.95 EUR)."""
    berlin = ZoneInfo("Europe/Berlin")
    day = today - timedelta(days=5)
    departure, arrival = _at(day, 9 * 60 + 4, berlin), _at(day, 12 * 60 + 46, berlin)
    booking: dict[str, Any] = {
        "reference": RETURNED_REFERENCE, "operator": "demo-rail", "regime": "eu-rail",
        "passenger": {"name": "Clara Hoffmann", "email": "clara.hoffmann@example.org",
                      "language": "en"},
        "fare": {"amount": "109.90", "currency": "EUR", "kind": "single"},
        "legs": [{"service": "ICE 1005", "origin": "Hamburg Hbf",
                  "destination": "Frankfurt(Main) Hbf",
                  "scheduled_departure": _iso(departure),
                  "scheduled_arrival": _iso(arrival)}]}
    _account_on_file(booking, 9)
    operations = {"operator": "demo-rail", "service": "ICE 1005", "date": day.isoformat(),
                  "stop": "Frankfurt(Main) Hbf",
                  "actual_arrival": _iso(arrival + timedelta(minutes=134)),
                  "cancelled": False, "cause": "technical"}
    return booking, operations
