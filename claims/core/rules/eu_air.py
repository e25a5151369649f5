"""Regime eu-air: Regulation (EC) 261/2004 with the CJEU's case law on delays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from claims.core.journey import delay_minutes
from claims.core.rules import airports
from claims.core.rules.causes import CAUSE_LABELS, EU_AIR_EXTRAORDINARY
from claims.core.rules.journey_input import JourneyInput
from claims.core.rules.result import (
    Assessment,
    arrival_unknown,
    format_amount,
    format_amount_de,
    format_km,
    not_due,
)

REGULATION = "Regulation (EC) 261/2004"
CURRENCY = "EUR"


@dataclass(frozen=True)
class Band:
    number: int
    amount: Decimal
    # Art. 7(2): a reroute arriving at most this late halves the amount.
    halving_window: timedelta
    letter: str


BANDS = {
    1: Band(1, Decimal("250.00"), timedelta(hours=2), "a"),
    2: Band(2, Decimal("400.00"), timedelta(hours=3), "b"),
    3: Band(3, Decimal("600.00"), timedelta(hours=4), "c"),
}


def band_for(origin: str, destination: str) -> tuple[Band, float]:
    distance = airports.distance_km(origin, destination)
    intra_eu = airports.in_regulation_area(origin) and airports.in_regulation_area(destination)
    if distance <= 1500:
        return BANDS[1], distance
    if intra_eu or distance <= 3500:
        return BANDS[2], distance
    return BANDS[3], distance


def in_scope(journey: JourneyInput) -> bool:
    if not (journey.origin and journey.destination):
        raise ValueError("eu-air needs the origin and destination airports")
    if airports.in_regulation_area(journey.origin):
        return True
    return airports.in_regulation_area(journey.destination) and bool(journey.carrier_eu)


def assess(journey: JourneyInput) -> Assessment:
    if not (journey.origin and journey.destination):
        raise ValueError("eu-air needs origin and destination")
    delay = _arrival_delay(journey)
    if not in_scope(journey):
        return not_due(CURRENCY, delay, "eu-air.3", f"{REGULATION}, Art. 3",
                       f"The flight from {journey.origin} to {journey.destination} is not "
                       "covered: it neither leaves the EU nor arrives there with an EU carrier.",
                       f"Der Flug von {journey.origin} nach {journey.destination} ist nicht "
                       "erfasst: Er startet nicht in der EU und landet dort nicht mit einer "
                       "EU-Fluggesellschaft.")
    if journey.cause in EU_AIR_EXTRAORDINARY:
        return not_due(CURRENCY, delay, "eu-air.5-3", f"{REGULATION}, Art. 5(3)",
                       f"The disruption was caused by {CAUSE_LABELS['en'][journey.cause]}, "
                       "an extraordinary circumstance.",
                       f"Die Störung wurde durch {CAUSE_LABELS['de'][journey.cause]} "
                       "verursacht, einen außergewöhnlichen Umstand.")
    band, distance = band_for(journey.origin, journey.destination)
    if journey.cancelled:
        return _cancellation(journey, band, distance, delay)
    return _delay(band, distance, delay)


def _arrival_delay(journey: JourneyInput) -> int | None:
    if journey.cancelled and journey.rerouted_arrival is not None:
        return delay_minutes(journey.scheduled_arrival, journey.rerouted_arrival)
    return journey.delay_minutes


def _delay(band: Band, distance: float, delay: int | None) -> Assessment:
    km, km_de = format_km(distance, "en"), format_km(distance, "de")
    if delay is None:
        return arrival_unknown(CURRENCY, "eu-air.arrival-unknown", f"{REGULATION}, Art. 7")
    if delay < 180:
        return not_due(CURRENCY, delay, "eu-air.7-delay", _delay_basis("Art. 6 and 7"),
                       f"Arrived {delay} minutes late: compensation starts at 3 hours.",
                       f"{delay} Minuten verspätet angekommen: Entschädigung gibt es ab "
                       "3 Stunden.")
    if band.number == 3 and delay <= 240:
        half = band.amount / 2
        return _due(half, delay, "eu-air.7-2-c", _delay_basis("Art. 7(1)(c) and 7(2)(c)"),
                    f"Arrived {delay} minutes late on a {km} flight: half of "
                    f"{format_amount(band.amount)} EUR for an arrival 3 to 4 hours late.",
                    f"{delay} Minuten verspätet angekommen, Flug über {km_de}: die Hälfte von "
                    f"{format_amount_de(band.amount)} EUR bei 3 bis 4 Stunden Verspätung.")
    return _due(band.amount, delay, f"eu-air.7-1-{band.letter}",
                _delay_basis(f"Art. 7(1)({band.letter})"),
                f"Arrived {delay} minutes late on a {km} flight: "
                f"{format_amount(band.amount)} EUR.",
                f"{delay} Minuten verspätet angekommen, Flug über {km_de}: "
                f"{format_amount_de(band.amount)} EUR.")


def _delay_basis(articles: str) -> str:
    return f"{REGULATION}, {articles}; CJEU C-402/07 (Sturgeon)"


def _cancellation(journey: JourneyInput, band: Band, distance: float,
                  delay: int | None) -> Assessment:
    if journey.scheduled_departure is None:
        raise ValueError("a cancellation needs the scheduled departure")
    notice = journey.cancellation_notice_days or 0
    reroute_leaves = journey.rerouted_departure
    reroute_arrives = journey.rerouted_arrival
    early_by = (journey.scheduled_departure - reroute_leaves) if reroute_leaves else None
    late_by = (reroute_arrives - journey.scheduled_arrival) if reroute_arrives else None

    def offered(before: timedelta, after: timedelta) -> bool:
        return (early_by is not None and late_by is not None
                and early_by <= before and late_by < after)

    exempt = None
    if notice >= 14:
        exempt = ("eu-air.5-1-c-i", "Art. 5(1)(c)(i)",
                  f"The cancellation was announced {notice} days before departure.",
                  f"Die Annullierung wurde {notice} Tage vor dem Abflug mitgeteilt.")
    elif notice >= 7 and offered(timedelta(hours=2), timedelta(hours=4)):
        exempt = ("eu-air.5-1-c-ii", "Art. 5(1)(c)(ii)",
                  f"The cancellation was announced {notice} days ahead with a reroute close "
                  "enough to the original times.",
                  f"Die Annullierung wurde {notice} Tage vorher mitgeteilt, mit einer "
                  "Ersatzbeförderung nah genug an den ursprünglichen Zeiten.")
    elif notice < 7 and offered(timedelta(hours=1), timedelta(hours=2)):
        exempt = ("eu-air.5-1-c-iii", "Art. 5(1)(c)(iii)",
                  "The cancellation came with a reroute leaving at most 1 hour earlier and "
                  "arriving less than 2 hours later.",
                  "Mit der Annullierung kam eine Ersatzbeförderung, höchstens 1 Stunde früher "
                  "und weniger als 2 Stunden später.")
    if exempt:
        rule, article, english, german = exempt
        return not_due(CURRENCY, delay, rule, f"{REGULATION}, {article}", english, german)

    km, km_de = format_km(distance, "en"), format_km(distance, "de")
    full, full_de = format_amount(band.amount), format_amount_de(band.amount)
    if late_by is not None and late_by <= band.halving_window:
        hours = int(band.halving_window.total_seconds() // 3600)
        return _due(band.amount / 2, delay, f"eu-air.7-2-{band.letter}",
                    f"{REGULATION}, Art. 5(1)(c) and 7(2)({band.letter})",
                    f"Flight cancelled; the reroute arrived within {hours} hours of the "
                    f"original time: half of {full} EUR for a {km} flight.",
                    f"Flug annulliert; die Ersatzbeförderung kam höchstens {hours} Stunden "
                    f"später an: die Hälfte von {full_de} EUR für einen Flug über {km_de}.")
    return _due(band.amount, delay, f"eu-air.5-1-c-{band.letter}",
                f"{REGULATION}, Art. 5(1)(c) and 7(1)({band.letter})",
                f"Flight cancelled at short notice: {full} EUR for a {km} flight.",
                f"Flug kurzfristig annulliert: {full_de} EUR für einen Flug über {km_de}.")


def _due(amount: Decimal, delay: int | None, rule: str, basis: str, english: str,
         german: str) -> Assessment:
    return Assessment(eligible=True, amount=amount.quantize(Decimal("0.01")), currency=CURRENCY,
                      percent=None, delay_minutes=delay, rule=rule, legal_basis=basis,
                      explanation_en=english, explanation_de=german)
