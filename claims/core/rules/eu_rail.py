"""Regime eu-rail: Regulation (EU) 2021/782, Art. 19."""

from __future__ import annotations

from decimal import Decimal

from claims.core.rules.causes import CAUSE_LABELS, EU_RAIL_FORCE_MAJEURE
from claims.core.rules.journey_input import JourneyInput
from claims.core.rules.result import (
    Assessment,
    arrival_unknown,
    format_amount,
    format_amount_de,
    not_due,
    round_money,
)

REGULATION = "Regulation (EU) 2021/782"
BANDS = ((120, 50, "eu-rail.19-1-b", "Art. 19(1)(b)"), (60, 25, "eu-rail.19-1-a", "Art. 19(1)(a)"))
MAXIMUM_THRESHOLD = Decimal("4.00")


def price_basis(journey: JourneyInput) -> Decimal:
    """A single's price; of a return, the delayed leg's price or else half (Art. 19(3))."""
    fare = journey.required_fare()
    if fare.kind == "return":
        return journey.leg_amount if journey.leg_amount is not None else fare.amount / 2
    return fare.amount


def assess(journey: JourneyInput) -> Assessment:
    fare = journey.fare
    if fare is None:
        raise ValueError("eu-rail needs the fare")
    currency, delay = fare.currency, journey.delay_minutes

    if journey.informed_before_purchase:
        return not_due(currency, delay, "eu-rail.19-9", f"{REGULATION}, Art. 19(9)",
                       "The delay was announced before the ticket was bought.",
                       "Die Verspätung war vor dem Kauf der Fahrkarte bekannt.")
    if journey.cause in EU_RAIL_FORCE_MAJEURE:
        return not_due(currency, delay, "eu-rail.19-10", f"{REGULATION}, Art. 19(10)",
                       f"The delay was caused by {CAUSE_LABELS['en'][journey.cause]}, "
                       "for which the operator is not liable.",
                       f"Die Verspätung wurde durch {CAUSE_LABELS['de'][journey.cause]} "
                       "verursacht, wofür das Unternehmen nicht haftet.")
    if delay is None:
        return arrival_unknown(currency, "eu-rail.arrival-unknown", f"{REGULATION}, Art. 19(1)")
    if delay < 60:
        return not_due(currency, delay, "eu-rail.19-1", f"{REGULATION}, Art. 19(1)",
                       f"Arrived {delay} minutes late: compensation starts at 60 minutes.",
                       f"{delay} Minuten verspätet angekommen: Entschädigung gibt es ab "
                       "60 Minuten.")
    if fare.kind == "season":
        return _season(journey, delay)

    basis = price_basis(journey)
    percent, rule, article = next((p, r, a) for minimum, p, r, a in BANDS if delay >= minimum)
    amount = round_money(basis * percent / 100)
    if amount < journey.minimum_payout:
        return _under_minimum(journey, delay, amount)
    price, price_de = format_amount(basis), format_amount_de(basis)
    if fare.kind == "return":
        of_en = f"{price} {currency}, the price of the delayed leg of the return ticket"
        of_de = f"von {price_de} {currency}, dem Preis der verspäteten Fahrt der Rückfahrkarte"
    else:
        of_en = f"the {price} {currency} ticket price"
        of_de = f"des Fahrpreises von {price_de} {currency}"
    return Assessment(
        eligible=True, amount=amount, currency=currency, percent=percent,
        delay_minutes=delay, rule=rule, legal_basis=f"{REGULATION}, {article}",
        explanation_en=f"Arrived {delay} minutes late: {percent} % of {of_en}.",
        explanation_de=f"{delay} Minuten verspätet angekommen: {percent} % {of_de}.",
    )


def _season(journey: JourneyInput, delay: int) -> Assessment:
    fare = journey.required_fare()
    currency, policy = fare.currency, journey.season
    cap = round_money(fare.amount * policy.cap_percent / 100)
    amount = min(policy.flat_amount, cap)
    if amount < journey.minimum_payout:
        return _under_minimum(journey, delay, amount)
    flat = format_amount(amount)
    return Assessment(
        eligible=True, amount=amount, currency=currency, percent=None, delay_minutes=delay,
        rule="eu-rail.19-2", legal_basis=f"{REGULATION}, Art. 19(2)",
        explanation_en=f"Arrived {delay} minutes late on a season ticket: the operator's flat "
                       f"{flat} {currency} per delay (at most {policy.cap_percent} % of the "
                       "pass value).",
        explanation_de=f"{delay} Minuten verspätet angekommen mit Zeitkarte: pauschal "
                       f"{format_amount_de(amount)} "
                       f"{currency} je Verspätung (höchstens {policy.cap_percent} % des "
                       "Kartenwerts).",
    )


def _under_minimum(journey: JourneyInput, delay: int, amount: Decimal) -> Assessment:
    fare = journey.required_fare()
    currency, minimum = fare.currency, format_amount(journey.minimum_payout)
    return not_due(currency, delay, "eu-rail.19-8", f"{REGULATION}, Art. 19(8)",
                   f"Arrived {delay} minutes late, but {format_amount(amount)} {currency} is "
                   f"under the minimum payout of {minimum} {currency}.",
                   f"{delay} Minuten verspätet angekommen, aber {format_amount_de(amount)} "
                   f"{currency} liegen unter dem Mindestbetrag von "
                   f"{format_amount_de(journey.minimum_payout)} {currency}.")
