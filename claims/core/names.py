"""Folding of names and references so that a passenger's typing finds their booking:
"Müller" = "MUELLER" = "mueller", "q7k2 lm" = "Q7K2LM"."""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                         "ß": "ss", "ẞ": "SS"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def fold(text: str) -> str:
    """Upper-case ASCII letters and digits; umlauts spelled out, other accents dropped."""
    spelled = text.translate(_GERMAN)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", spelled)
                       if not unicodedata.combining(c))
    return stripped.upper()


def name_tokens(text: str) -> list[str]:
    return [token for token in _NOT_ALNUM.split(fold(text)) if token]


# A booking reference, as the operators' records hold it and the passenger types it:
# 4 to 20 letters and digits (spaces and dashes between them do not count). The one rule
# the import, the look-up's check and its hint are built from.
REFERENCE_MIN_LENGTH = 4
REFERENCE_MAX_LENGTH = 20


def reference_length_ok(reference: str) -> bool:
    return REFERENCE_MIN_LENGTH <= len(normalise_reference(reference)) <= REFERENCE_MAX_LENGTH


def normalise_reference(reference: str) -> str:
    return _NOT_ALNUM.sub("", fold(reference))


def surname_matches(full_name: str, surname: str) -> bool:
    """The typed surname must be the last whole word(s) of the booked name:
    "Müller-Lüdenscheidt" is matched by "mueller luedenscheidt" and by "Lüdenscheidt",
    never by "scheidt"."""
    typed = name_tokens(surname)
    booked = name_tokens(full_name)
    return bool(typed) and len(typed) <= len(booked) and booked[-len(typed):] == typed


def name_key(text: str) -> str:
    """A name's words folded, one space apart: "Müller-Lüdenscheidt" is "MUELLER
    LUEDENSCHEIDT". Stored beside a booking's name, so that the database matches a typed
    surname as surname_matches does: the key equal to the typed surname's key, or ending
    in a space and it (the words hold no space and no LIKE wildcard)."""
    return " ".join(name_tokens(text))


def surname_of(full_name: str) -> str:
    parts = full_name.split()
    return parts[-1] if parts else full_name
