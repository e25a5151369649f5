"""Regime uk-rail: National Rail Delay Repay, schemes DR15 and DR30. Paid whatever the
cause, no minimum."""

from __future__ import annotations

from claims.core.rules.journey_input import JourneyInput
from claims.core.rules.result import (
    Assessment,
    arrival_unknown,
    format_amount,
    format_amount_de,
    not_due,
    round_money,
)

SCHEMES = ("DR15", "DR30")
# (minimum delay, percent, of which fare), highest band first; DR30 lacks the 15-minute band.
BANDS = (
    (120, 100, "return"),
    (60, 100, "single"),
    (30, 50, "single"),
    (15, 25, "single"),
)


def legal_basis(scheme: str) -> str:
    return f"National Rail Conditions of Travel, Delay Repay ({scheme})"


def assess(journey: JourneyInput) -> Assessment:
    fare, scheme, delay = journey.fare, journey.scheme, journey.delay_minutes
    if fare is None:
        raise ValueError("uk-rail needs the fare")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown Delay Repay scheme {scheme!r}")
    threshold = 15 if scheme == "DR15" else 30
    if delay is None:
        return arrival_unknown(fare.currency, f"uk-rail.{scheme}.arrival-unknown",
                               legal_basis(scheme))
    if delay < threshold:
        return not_due(fare.currency, delay, f"uk-rail.{scheme}.none", legal_basis(scheme),
                       f"Arrived {delay} minutes late: Delay Repay starts at {threshold} "
                       "minutes.",
                       f"{delay} Minuten verspätet angekommen: Delay Repay beginnt bei "
                       f"{threshold} Minuten.")
    single = fare.amount / 2 if fare.kind == "return" else fare.amount
    minimum, percent, of = next(band for band in BANDS if delay >= band[0])
    # A single ticket has no return fare: its 120-minute band pays the whole single.
    if of == "return" and fare.kind == "return":
        basis, which_en, which_de = fare.amount, "return fare", "Hin- und Rückfahrpreises"
    else:
        basis, which_en, which_de = single, "single fare", "Einzelfahrpreises"
    price = format_amount(basis)
    return Assessment(
        eligible=True, amount=round_money(basis * percent / 100), currency=fare.currency,
        percent=percent, delay_minutes=delay, rule=f"uk-rail.{scheme}.{minimum}",
        legal_basis=legal_basis(scheme),
        explanation_en=f"Arrived {delay} minutes late: {percent} % of the {price} "
                       f"{fare.currency} {which_en}.",
        explanation_de=f"{delay} Minuten verspätet angekommen: {percent} % des {which_de} von "
                       f"{format_amount_de(basis)} {fare.currency}.",
    )


