"""The files operators send, read piece by piece: JSON Lines or one JSON array, as numbered
JSON values. Memory stays at one read and one record whatever the file's size (a 10 MB
body read whole once took a web worker to 3 GB); the API's bodies and the CLI's files both
come through here."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, Protocol

from claims.core import wire
from claims.core.problems import Problem, problem
from claims.operators.records import RecordError

READ_SIZE = 64 * 1024
# One record, as a line or an array's element: a booking with many legs is a few kB.
RECORD_LIMIT = 1024 * 1024
_TOO_LONG = problem("longer than %(megabytes)s MB, the most one record may be",
                    megabytes=RECORD_LIMIT // (1024 * 1024))
# What may follow a number's first characters and still be part of it, to the end.
_NUMBER_TAIL = re.compile(r"[0-9+\-.eE]*\Z")
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class RecordStream:
    """(number, JSON value or the RecordError saying why not): for JSON Lines the line's
    number (blank lines skipped), for an array the element's place from 1."""

    def __init__(self, stream: Readable) -> None:
        chunks = _chunks(stream)
        skipped_lines = 0
        # Leading whitespace is dropped as it is read, its lines counted: a body of
        # nothing but spaces costs no memory either.
        for chunk in chunks:
            if chunk.strip():
                break
            skipped_lines += chunk.count(b"\n")
        else:
            self.blank = True
            self._values: Iterator[tuple[int, Any]] = iter(())
            return
        self.blank = False
        rest = chain([chunk], chunks)
        if chunk.lstrip().startswith(b"["):
            self._values = _array_elements(rest)
        else:
            self._values = _json_lines(rest, skipped_lines + 1)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return self._values


def _chunks(stream: Readable) -> Iterator[bytes]:
    while chunk := stream.read(READ_SIZE):
        yield chunk


def _json_lines(chunks: Iterable[bytes], first: int) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(_lines(chunks), start=first):
        if raw is None:
            yield number, RecordError(_TOO_LONG)
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, RecordError("", problem("not UTF-8 text"))
            continue
        if not line.strip():
            continue
        try:
            yield number, wire.load_json(line)
        except wire.NotJson as error:
            yield number, RecordError("", error.reason)


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes | None]:
    """Each line without its "\\n", or None for one over RECORD_LIMIT, which is skipped
    unread. Lines end at "\\n" only: a JSON string may carry U+2028 or a lone "\\r"."""
    pending = b""
    overlong = False
    for chunk in chunks:
        if overlong and b"\n" not in chunk:
            continue
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield None if overlong or len(line) > RECORD_LIMIT else line
            overlong = False
        if len(pending) > RECORD_LIMIT:
            pending, overlong = b"", True
    if pending or overlong:
        yield None if overlong else pending


class _Broken(Exception):
    """The array cannot be read on from here; the reason says why."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason)
        self.reason = reason


class _Window:
    """The part of the body being read, as text: what is before `position` is done with
    and dropped at the next read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.position = 0
        self.ended = False

    def more(self) -> bool:
        """Reads on; False at the end of the body."""
        if self.ended:
            return False
        chunk = next(self._chunks, None)
        try:
            decoded = self._decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError:
            raise _Broken(problem("not UTF-8 text")) from None
        self.text = self.text[self.position:] + decoded
        self.position = 0
        self.ended = chunk is None
        return True

    def next_char(self) -> str:
        """The next character that is not JSON whitespace, not taken; "" at the end."""
        while True:
            space = _JSON_SPACE.match(self.text, self.position)
            self.position = space.end() if space else self.position
            if self.position < len(self.text):
                return self.text[self.position]
            if not self.more():
                return ""

    def value(self) -> Any:
        """The JSON value that begins here, read on until it is whole."""
        self.next_char()
        while True:
            try:
                value, end = wire.load_json_at(self.text, self.position)
                # A number may go on in the next read ("12" of "125", "1" of "1e5"): whole
                # only once something follows that cannot be part of it.
                if self.ended or (end < len(self.text) and (
                        not isinstance(value, int | float) or
                        not _NUMBER_TAIL.match(self.text, end))):
                    self.position = end
                    return value
            except wire.NotJson as error:
                if self.ended:
                    raise _Broken(error.reason) from None
            if len(self.text) - self.position > RECORD_LIMIT:
                raise _Broken(_TOO_LONG)
            self.more()


def _array_elements(chunks: Iterator[bytes]) -> Iterator[tuple[int, Any]]:
    """An array's syntax broken, or an element that is not JSON, ends it: from there on
    nothing says where the next element begins. That place is the last one reported."""
    window = _Window(chunks)
    number = 1
    try:
        window.next_char()
        window.position += 1  # the "[", seen before
        if window.next_char() == "]":
            window.position += 1
        else:
            while True:
                yield number, window.value()
                separator = window.next_char()
                window.position += 1
                if separator == "]":
                    break
                if separator != ",":
                    number += 1
                    raise _Broken(problem(
                        "not a valid JSON array: ',' or ']' expected after element "
                        "%(element)s; the rest of the array was not read", element=number - 1))
                number += 1
        if window.next_char():
            number += 1
            raise _Broken(problem("not a valid JSON array: text after its closing ']'"))
    except _Broken as error:
        yield number, RecordError("", error.reason)
