"""The one result shape every assessment has, whatever the regime."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    amount: Decimal
    currency: str
    percent: int | None
    delay_minutes: int | None
    rule: str
    legal_basis: str
    explanation_en: str
    explanation_de: str
    # False when no delay could be measured (no arrival time): nothing is decided then,
    # and the workflow hands the claim to a clerk.
    arrival_known: bool = True

    def explanation(self, language: str) -> str:
        return self.explanation_de if language.startswith("de") else self.explanation_en


def round_money(amount: Decimal) -> Decimal:
    """Half up to the cent, once, at the end (rules.md)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal) -> str:
    return f"{round_money(amount):.2f}"


def format_amount_de(amount: Decimal) -> str:
    """19,75: the German decimal comma, for the German explanation."""
    return format_amount(amount).replace(".", ",")


def format_km(distance: float, language: str) -> str:
    """1,234 km in English, 1.234 km in German."""
    text = f"{distance:,.0f} km"
    return text.replace(",", ".") if language == "de" else text


def not_due(currency: str, delay: int | None, rule: str, legal_basis: str, english: str,
            german: str) -> Assessment:
    """No compensation: amount 0.00, and the rule that excluded it."""
    return Assessment(eligible=False, amount=Decimal("0.00"), currency=currency, percent=None,
                      delay_minutes=delay, rule=rule, legal_basis=legal_basis,
                      explanation_en=english, explanation_de=german)


def arrival_unknown(currency: str, rule: str, legal_basis: str) -> Assessment:
    """No delay can be measured yet: not due, and the workflow sends it to a clerk."""
    return replace(not_due(currency, None, rule, legal_basis,
                           "The arrival time at the final destination is not known yet.",
                           "Die Ankunftszeit am Zielort ist noch nicht bekannt."),
                   arrival_known=False)
