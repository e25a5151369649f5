"""What a text from outside may carry, once for the forms, the imports, the API document
and the mail composer: a one-line text (a name, a place, a train) no character that starts
a new line or reorders what follows it; a free text (a statement, an explanation) its line
breaks and tabs but nothing else of the kind; a person's name no link, since it is printed
in our own e-mails ("Hello <name>,") where a link would read as ours."""

from __future__ import annotations

import re
from enum import StrEnum

# C0 and C1 controls (tab, line feed, carriage return and NEL among them), DEL, the
# Unicode line and paragraph separators, and the bidirectional marks, embeddings,
# overrides and isolates (which make "moc.live" show as "evil.com"). Escapes that Python,
# ECMA and the Rust regex of schema validators all read alike.
CONTROLS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# The same, but for the tab and the line breaks a free text keeps.
_FREE_TEXT_CONTROLS = CONTROLS.replace(r"\x00-\x1f", r"\x00-\x08\x0b\x0c\x0e-\x1f")
# A person's name as long as any we have seen, with room: a sentence does not fit.
NAME_LIMIT = 100
# The text between a person's name's characters: neither a link nor an address.
LINK_MARKS = ("://", "@")
# A one-line text without leading or trailing spaces, for API documents.
LINE_PATTERN = rf"^[^{CONTROLS} ]([^{CONTROLS}]*[^{CONTROLS} ])?$"
NAME_PATTERN = rf"^(?!.*://)[^{CONTROLS} @]([^{CONTROLS}@]*[^{CONTROLS} @])?$"

_CONTROL = re.compile(f"[{CONTROLS}]")
_FREE_TEXT_CONTROL = re.compile(f"[{_FREE_TEXT_CONTROLS}]")
_LINE_BREAK = re.compile(r"\r\n?")


class TextProblem(StrEnum):
    CONTROL = "control"      # a line break, a control or a direction override
    LINK = "link"            # "://" or "@" in a person's name
    TOO_LONG = "too-long"    # a name longer than NAME_LIMIT


def line_problem(text: str) -> TextProblem | None:
    return TextProblem.CONTROL if _CONTROL.search(text) else None


def name_problem(text: str) -> TextProblem | None:
    if len(text) > NAME_LIMIT:
        return TextProblem.TOO_LONG
    if any(mark in text for mark in LINK_MARKS):
        return TextProblem.LINK
    return line_problem(text)


def free_text_problem(text: str) -> TextProblem | None:
    return TextProblem.CONTROL if _FREE_TEXT_CONTROL.search(text) else None


def one_line(text: str) -> str:
    """The text on one line, whatever it holds: controls, separators and runs of white
    space become one space. For printing a stored text where it must stay in its place."""
    return " ".join(_CONTROL.sub(" ", text).split())


def paragraphs(text: str) -> str:
    """A free text with "\\n" line breaks only and no other control character."""
    return _FREE_TEXT_CONTROL.sub(" ", _LINE_BREAK.sub("\n", text)).strip()


def safe_name(text: str) -> str | None:
    """A stored name as a greeting may print it, or None where it breaks the name rule
    (stored before the rule, or by a path that skipped it): one line, no link."""
    name = one_line(text)
    return name if name and name_problem(name) is None else None
