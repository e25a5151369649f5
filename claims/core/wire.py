"""The values operators' systems send us (records, assessment requests): each kind once,
as the JSON Schema the API document shows and as the check the parsers run, so that the
two cannot drift apart. Strict on purpose: a machine writes these, and what the document
calls valid is exactly what is taken."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from claims.core import plain_text
from claims.core.amounts import CENT, LARGEST, AmountError, parse_amount
from claims.core.problems import Problem, problem

Schema = dict[str, Any]

# A non-negative amount, to the cent at most, as a string: money is never a JSON number.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
# ISO 8601 / RFC 3339 with its UTC offset: 2026-03-02T10:13:00+01:00.
INSTANT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})$")
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
IATA_PATTERN = r"^[A-Z]{3}$"
# One line, neither leading nor trailing spaces nor blank, so that what is stored is what
# was sent and prints in its place (plain_text.CONTROLS: no line break, no NUL, which
# PostgreSQL does not store, no direction override).
TRIMMED_PATTERN = plain_text.LINE_PATTERN
# Nor half a surrogate pair (no database stores one; JSON can carry it, as \ud800): said
# in words, as a schema validator's regex cannot even name one.
_HALF_SURROGATE = re.compile(r"[\ud800-\udfff]")

_AMOUNT = re.compile(AMOUNT_PATTERN)
_INSTANT = re.compile(INSTANT_PATTERN)
_DATE = re.compile(DATE_PATTERN)

INSTANT_MESSAGE = problem(
    "an ISO 8601 time with its UTC offset, such as 2026-03-02T10:13:00+01:00")
DATE_MESSAGE = problem("a date such as 2026-03-02")


class NotJson(ValueError):
    """The text is not JSON we read; the reason says why (a Problem)."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason)
        self.reason = reason


def load_json(text: str | bytes) -> Any:
    """JSON as a machine sends it, or NotJson: also for what Python's parser takes or
    chokes on beyond syntax errors: NaN and Infinity (not JSON), integers past the
    int-to-str digit limit (ValueError), nesting deeper than the interpreter's stack
    (RecursionError, which the parser raises cleanly)."""
    if isinstance(text, bytes):
        return _decoded(lambda: json.loads(text, parse_constant=_no_constant), None)
    # One decoder for all: json.loads builds one a call, a third of the time of a short
    # line of an import.
    return _decoded(lambda: _DECODER.decode(text), None)


def load_json_at(text: str, start: int) -> tuple[Any, int]:
    """The JSON value that begins at text[start] and the index just past it, by the rules
    of load_json: one element read out of a longer text, such as a streamed array."""
    return _decoded(lambda: _DECODER.raw_decode(text, start), start)


def _decoded(decode: Callable[[], Any], start: int | None) -> Any:
    try:
        return decode()
    except json.JSONDecodeError as error:
        # The parser's own words ("Expecting value") stay as they are: where it went wrong
        # is the part a reader of either language needs.
        if start is not None:  # a window onto a stream: its lines and columns are nobody's
            raise NotJson(problem("not valid JSON at character %(position)s of the value "
                                  "(%(detail)s)", position=error.pos - start + 1,
                                  detail=error.msg)) from None
        raise NotJson(problem("not valid JSON at line %(line)s, column %(column)s "
                              "(%(detail)s)", line=error.lineno, column=error.colno,
                              detail=error.msg)) from None
    except RecursionError:
        raise NotJson(problem("not valid JSON: nested too deeply")) from None
    except NotJson:
        raise
    except ValueError:
        raise NotJson(problem("not valid JSON: a number with too many digits")) from None


def _no_constant(name: str) -> Any:
    raise NotJson(problem("not valid JSON: %(name)s is not a JSON value", name=name))


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def amount_schema(**extra: Any) -> Schema:
    return {"type": "string", "pattern": AMOUNT_PATTERN, "example": "39.90", **extra}


def instant_schema(**extra: Any) -> Schema:
    return {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN,
            "example": "2026-03-02T10:13:00+01:00", **extra}


def date_schema() -> Schema:
    return {"type": "string", "format": "date", "pattern": DATE_PATTERN,
            "example": "2026-03-02"}


def text_schema(limit: int) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": TRIMMED_PATTERN}


def name_schema() -> Schema:
    """A person's name: one line, trimmed, neither a link nor an address in it."""
    return {"type": "string", "minLength": 1, "maxLength": plain_text.NAME_LIMIT,
            "pattern": plain_text.NAME_PATTERN}


def choice_schema(values: Any, **extra: Any) -> Schema:
    return {"type": "string", "enum": sorted(values), **extra}


def nullable(schema: Schema) -> Schema:
    """The schema, or null (OpenAPI 3.0: an enum must name null too)."""
    if "enum" in schema:
        return {**schema, "nullable": True, "enum": [*schema["enum"], None]}
    return {**schema, "nullable": True}


def obj(properties: dict[str, Schema], required: list[str] | tuple[str, ...] = (),
        **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "additionalProperties": False,
                      "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def amount(value: Any) -> Decimal | None:
    """The amount, or None if it is not one by AMOUNT_PATTERN."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        return None
    result = Decimal(value).quantize(CENT)
    return result if result <= LARGEST else None


def amount_problem(value: Any) -> Problem:
    """Why `amount` refused the value, in the words of the lenient parser where it has
    some ("at most two decimals", "a non-negative amount")."""
    try:
        parse_amount(value)
    except AmountError as error:
        return error.reason
    return problem('a decimal string such as "39.90", digits and a point only')


def instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def day(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not 1 <= len(value) <= limit or \
            not re.fullmatch(TRIMMED_PATTERN, value) or _HALF_SURROGATE.search(value):
        return None
    return value
