"""The GBP payout file: Bacs Standard 18 payment records, 100 characters a line.

Why this format: it is the one layout every UK clearing bank's bulk-payment import reads
(Bacstel-IP and the bulk-list imports of the banks' online services), where each bank's
own CSV differs from the next; the operator's bank sends the lines by Bacs or, where its
service offers it, as Faster Payments. A line (positions 1-based):

    1-6    destination sort code        36-46  amount in pence, zero-padded
    7-14   destination account number   47-64  originator's name
    15     account type "0"             65-82  reference (our end-to-end id)
    16-17  transaction code "99" (credit) 83-100 destination account name
    18-23  originating sort code
    24-31  originating account number
    32-35  free (spaces)

Texts are cut to Bacs's character set: A-Z, 0-9, full stop, ampersand, slash, hyphen and
space (an umlaut loses its dots, anything else becomes a space)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from claims.core.uk_accounts import UkAccount

LINE_LENGTH = 100
CREDIT = "99"
_NOT_BACS = re.compile(r"[^A-Z0-9.&/\- ]")
_LARGEST_PENCE = 10**11 - 1


class Standard18Error(ValueError):
    pass


@dataclass(frozen=True)
class Standard18Payment:
    account: UkAccount
    amount: Decimal
    reference: str
    name: str


def bacs_text(value: str, width: int) -> str:
    """`value` in Bacs's characters, upper case, cut or padded to `width`."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    cleaned = " ".join(_NOT_BACS.sub(" ", plain.upper()).split())
    return cleaned[:width].ljust(width)


def pence(amount: Decimal) -> str:
    exact = amount * 100
    if exact != exact.to_integral_value() or not 0 < exact <= _LARGEST_PENCE:
        raise Standard18Error(f"amount {amount} is not a payable sum in pence")
    return f"{int(exact):011d}"


def standard18(originator: UkAccount, originator_name: str,
               payments: Iterable[Standard18Payment]) -> bytes:
    lines = []
    for payment in payments:
        reference = bacs_text(payment.reference, 18)
        if len(reference.strip()) < 6:
            raise Standard18Error("a Bacs reference has at least 6 characters")
        line = (payment.account.sort_code + payment.account.account_number + "0" + CREDIT
                + originator.sort_code + originator.account_number + " " * 4
                + pence(payment.amount) + bacs_text(originator_name, 18) + reference
                + bacs_text(payment.name or "PASSENGER", 18))
        if len(line) != LINE_LENGTH:
            raise Standard18Error(f"a Standard 18 line of {len(line)} characters")
        lines.append(line)
    return "".join(line + "\r\n" for line in lines).encode("ascii")
