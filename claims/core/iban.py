"""IBANs checked one way everywhere (schwifty: country, length, checksum, bank code)."""

from __future__ import annotations

from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


class IbanError(ValueError):
    """Not a valid IBAN; the message is schwifty's, in English."""


@dataclass(frozen=True)
class CheckedIban:
    compact: str
    bic: str | None
    bank_name: str | None


def check_iban(value: str) -> CheckedIban:
    try:
        iban = IBAN(value)
    except SchwiftyException as error:
        raise IbanError(str(error)) from None
    return CheckedIban(iban.compact, str(iban.bic) if iban.bic else None,
                       iban.bank_name or None)


def mask_iban(iban: str | None) -> str:
    """DE02 **** **** **** 2051: enough to recognise one's account, not to use it."""
    if not iban:
        return ""
    return f"{iban[:4]} **** **** **** {iban[-4:]}"
