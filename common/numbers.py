"""Numbers as the reader of a language writes them: pages, e-mails and letters alike."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal


def format_number(amount: Decimal | str, language: str) -> str:
    """An amount with two decimals as a reader of the language writes it; the pages and
    the e-mails both write numbers through here."""
    value = Decimal(amount)
    value = value if value != 0 else abs(value)  # never "-0.00"
    return format_decimal(value, format="#,##0.00", locale=language)


def format_money(amount: Decimal | str, currency: str | None, language: str) -> str:
    """An amount with its currency's code, as Babel writes it for the language:
    "1,234.50 EUR" in English, "1.234,50 EUR" in German; without a currency, the number."""
    value = Decimal(amount)
    value = value if value != 0 else abs(value)  # never "-0.00"
    if not currency:
        return format_number(value, language)
    return format_currency(value, currency, format="#,##0.00 \xa4\xa4", locale=language,
                           currency_digits=False)
