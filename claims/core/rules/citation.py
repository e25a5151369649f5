"""Legal citations in the reader's language. The rules cite in English; a German reader
gets the German citation style of the same provision ("Art. 19 Abs. 1 Buchst. a")."""

from __future__ import annotations

import re

_NAMES_DE = (
    ("Regulation (EU)", "Verordnung (EU)"),
    ("Regulation (EC) ", "Verordnung (EG) Nr. "),
    ("CJEU", "EuGH"),
    ("National Rail Conditions of Travel", "National Rail Conditions of Travel (Beförderungs"
                                           "bedingungen der britischen Bahnen)"),
    (" and ", " und "),
)
# 19(1)(a) -> 19 Abs. 1 Buchst. a; 19(2) -> 19 Abs. 2
_PARAGRAPH_LETTER = re.compile(r"(\d+)\((\d+)\)\(([a-z])\)")
_PARAGRAPH = re.compile(r"(\d+)\((\d+)\)")


def cite(basis: str | None, language: str) -> str:
    if not basis:
        return ""
    if not language.startswith("de"):
        return basis
    text = _PARAGRAPH_LETTER.sub(r"\1 Abs. \2 Buchst. \3", basis)
    text = _PARAGRAPH.sub(r"\1 Abs. \2", text)
    for english, german in _NAMES_DE:
        text = text.replace(english, german)
    return text
