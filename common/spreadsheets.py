"""CSV as spreadsheets open it: a text cell that starts like a formula is written as text,
so that a passenger-typed name such as `=HYPERLINK(...)` never runs in a clerk's Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """A csv.writer whose every row is made safe first."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])
