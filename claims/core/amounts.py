"""Amounts of money as people and operators write them: one parser, one set of limits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from claims.core.problems import Problem, echo, problem

CENT = Decimal("0.01")
# Above any fare or compensation, below what the database's NUMERIC(12, 2) holds.
LARGEST = Decimal("999999999.99")


class AmountError(ValueError):
    """Not an amount we take; the message says what is expected (a Problem: English, and
    translatable by the web layer)."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_amount(value: object, *, decimal_comma: bool = False,
                 largest: Decimal = LARGEST) -> Decimal:
    """A non-negative decimal string with at most two decimals, to the cent.

    Floats are refused: 79.1 in binary is not 79.10, and money must be exact. A decimal
    comma ("49,90") is read only where a person types, never in an operator's records."""
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise AmountError(problem('a decimal string such as "79.00"'))
    text = value.strip()
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError(problem('%(value)s is not an amount such as "79.00"',
                                  value=echo(value))) from None
    # "-0" too: a sign on nothing would be stored and shown as "-0.00".
    if not amount.is_finite() or amount.is_signed():
        raise AmountError(problem("a non-negative amount"))
    # Before quantize: "1e999" and thirty digits are finite, and quantize raises on them
    # (the result would not fit the context's precision).
    if amount > largest:
        raise AmountError(problem("at most %(largest)s", largest=largest))
    if amount != amount.quantize(CENT):
        raise AmountError(problem("at most two decimals"))
    return amount.quantize(CENT)


def amount_text(amount: Decimal | None) -> str | None:
    """An amount as records and logs write it: "19.75", to the cent; None stays None."""
    return f"{amount:.2f}" if amount is not None else None
