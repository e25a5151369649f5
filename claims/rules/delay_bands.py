"""The foundation's rule: percentage bands of the price paid by delay at the final
destination, for the rail regimes. The full regimes (force majeure, season tickets, UK
return fares, air) replace it in their own modules."""

from __future__ import annotations

from decimal import Decimal

from claims.rules.result import Assessment, format_amount, round_money

# (minimum delay in minutes, percent, rule id, legal basis), highest band first.
EU_RAIL_BANDS = (
    (120, 50, "eu-rail.19-1-b", "Regulation (EU) 2021/782, Art. 19(1)(b)"),
    (60, 25, "eu-rail.19-1-a", "Regulation (EU) 2021/782, Art. 19(1)(a)"),
)
EU_RAIL_NONE = ("eu-rail.19-1", "Regulation (EU) 2021/782, Art. 19(1)")


def assess_eu_rail(delay: int, price_basis: Decimal, currency: str) -> Assessment:
    for minimum, percent, rule, basis in EU_RAIL_BANDS:
        if delay >= minimum:
            amount = round_money(price_basis * percent / 100)
            price = format_amount(price_basis)
            return Assessment(
                eligible=True, amount=amount, currency=currency, percent=percent,
                delay_minutes=delay, rule=rule, legal_basis=basis,
                explanation_en=f"Arrived {delay} minutes late: {percent} % of the "
                               f"{price} {currency} ticket price.",
                explanation_de=f"{delay} Minuten verspätet angekommen: {percent} % des "
                               f"Fahrpreises von {price} {currency}.",
            )
    rule, basis = EU_RAIL_NONE
    return Assessment(
        eligible=False, amount=Decimal("0.00"), currency=currency, percent=None,
        delay_minutes=delay, rule=rule, legal_basis=basis,
        explanation_en=f"Arrived {delay} minutes late: compensation starts at 60 minutes.",
        explanation_de=f"{delay} Minuten verspätet angekommen: Entschädigung gibt es ab "
                       f"60 Minuten.",
    )


def price_basis(fare_amount: Decimal, fare_kind: str) -> Decimal:
    """A single's price; half a return's price (Art. 19(3))."""
    return fare_amount / 2 if fare_kind == "return" else fare_amount
