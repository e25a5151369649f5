"""UK bank accounts by sort code and account number, checked by Vocalink's modulus rules
(the `ukmodulus` package: its weight and substitution tables, and the published test
cases). A sort code outside the tables cannot be checked and is taken, as Vocalink's
rules say; the bank's own check at upload is the last word.

The messages are keys the portal translates (UkAccountError.problem), never shown raw."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import ukmodulus
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

_SEPARATORS = re.compile(r"[\s-]")


class Problem(StrEnum):
    SORT_CODE_FORMAT = "sort-code-format"
    ACCOUNT_FORMAT = "account-format"
    MODULUS = "modulus"


class UkAccountError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class UkAccount:
    sort_code: str  # six digits
    account_number: str  # eight digits

    @property
    def display_sort_code(self) -> str:
        return f"{self.sort_code[:2]}-{self.sort_code[2:4]}-{self.sort_code[4:]}"


def check_uk_account(sort_code: str, account_number: str) -> UkAccount:
    """The account as the bank file needs it, or UkAccountError. Sort codes are typed as
    12-34-56 or 123456; account numbers of 6 to 8 digits (6 and 7 are padded with zeros).
    The rare 9- and 10-digit numbers each bank shortens its own way: those passengers
    give an IBAN instead."""
    sort_code = _SEPARATORS.sub("", sort_code or "")
    account_number = _SEPARATORS.sub("", account_number or "")
    if not re.fullmatch(r"\d{6}", sort_code):
        raise UkAccountError(Problem.SORT_CODE_FORMAT)
    if not re.fullmatch(r"\d{6,8}", account_number):
        raise UkAccountError(Problem.ACCOUNT_FORMAT)
    if not ukmodulus.validate_number(sort_code, account_number):
        raise UkAccountError(Problem.MODULUS)
    return UkAccount(sort_code, account_number.rjust(8, "0"))


def uk_account_of_iban(iban: str | None) -> UkAccount | None:
    """A GB IBAN's sort code (its branch code) and account number; None for others."""
    if not iban or not iban.upper().startswith("GB"):
        return None
    try:
        parsed = IBAN(iban)
    except SchwiftyException:
        return None
    return UkAccount(parsed.branch_code, parsed.account_code)


def mask_account_number(account_number: str | None) -> str:
    return f"****{account_number[-4:]}" if account_number else ""


def mask_uk_account(sort_code: str | None, account_number: str | None) -> str:
    """As pages, mails and the data export show a UK account: the sort code (it names the
    branch, not the person), the account number only by its last four digits."""
    if not sort_code or not account_number:
        return ""
    return f"{UkAccount(sort_code, account_number).display_sort_code} " \
        f"{mask_account_number(account_number)}"
