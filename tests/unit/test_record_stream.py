"""The import's reader takes a body piece by piece: whatever the pieces, it reads what
json.loads reads from the whole, numbered as the whole would be."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.operators.record_stream import RECORD_LIMIT, RecordStream
from claims.operators.records import RecordError

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT |
    st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children,
                                                                      max_size=4),
    max_leaves=12)


class Trickle(io.RawIOBase):
    """A body that arrives at most `size` bytes a read, as a socket may hand it over."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = io.BytesIO(data)
        self._size = size

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(size, self._size) if size >= 0 else self._size)


def read(data: bytes, size: int) -> list[tuple[int, Any]]:
    return [(number, str(value) if isinstance(value, RecordError) else value)
            for number, value in RecordStream(Trickle(data, size))]


@settings(deadline=None, max_examples=300)
@given(values=st.lists(JSON, max_size=8), indent=st.sampled_from([None, 0, 2]),
       size=st.integers(1, 40), ascii_only=st.booleans())
def test_an_array_reads_as_json_loads_reads_it(values: list[Any], indent: int | None,
                                               size: int, ascii_only: bool) -> None:
    data = json.dumps(values, indent=indent, ensure_ascii=ascii_only).encode()
    assert read(b" \n" + data + b"\n ", size) == list(enumerate(json.loads(data), start=1))


@settings(deadline=None, max_examples=300)
@given(lines=st.lists(st.none() | JSON, max_size=8), size=st.integers(1, 40))
def test_json_lines_keep_their_numbers(lines: list[Any], size: int) -> None:
    """A None here is a blank line: skipped, and counted."""
    texts = ["  " if value is None else json.dumps(value, ensure_ascii=False)
             for value in lines]
    data = "\n".join(["", *texts]).encode()
    expected = [(number, json.loads(text)) for number, text in enumerate(texts, start=2)
                if text.strip()]
    # A first value that is an array makes the body one array: not this test's case.
    if expected and data.lstrip().startswith(b"["):
        return
    assert read(data, size) == expected


def test_a_line_over_the_limit_is_rejected_and_the_next_one_read() -> None:
    data = b'{"a": 1}\n"' + b"x" * (RECORD_LIMIT + 10) + b'"\n{"b": 2}\nnot json\n\xff\n'
    assert read(data, 64 * 1024) == [
        (1, {"a": 1}), (2, "longer than 1 MB, the most one record may be"), (3, {"b": 2}),
        (4, "not valid JSON at line 1, column 1 (Expecting value)"), (5, "not UTF-8 text")]


def test_a_broken_array_is_read_up_to_where_it_breaks() -> None:
    assert read(b'[{"a": 1}, {"b": 2} {"c": 3}]', 3) == [
        (1, {"a": 1}), (2, {"b": 2}),
        (3, "not a valid JSON array: ',' or ']' expected after element 2; the rest of the "
            "array was not read")]
    assert read(b'[{"a": 1}, NaN, {"c": 3}]', 5)[1] == (
        2, "not valid JSON: NaN is not a JSON value")
    assert read(b"[1, 2", 2) == [
        (1, 1), (2, 2),
        (3, "not a valid JSON array: ',' or ']' expected after element 2; the rest of the "
            "array was not read")]


def test_a_body_of_whitespace_is_blank() -> None:
    assert RecordStream(Trickle(b" \n\t\r\n" * 50_000, 1000)).blank
    assert not RecordStream(Trickle(b"\n\n[]", 1)).blank


def test_an_element_without_end_is_cut_at_the_limit() -> None:
    """An unterminated string, a number that goes on and on, nesting without end: the
    reader stops a record's length after it began, not at the end of the body."""
    cut = "longer than 1 MB, the most one record may be"
    endless = 20 * RECORD_LIMIT
    for body in (b'["' + b"x" * endless, b"[1" + b"e" * endless + b"]",
                 b"[" + b"[" * endless):
        assert read(body, 64 * 1024) == [(1, cut)]
