"""What PostgreSQL and SQLite write differently, kept here so use cases stay dialect-free."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, literal
from sqlalchemy.sql.type_api import TypeEngine


class JsonArrayContains(ColumnElement[bool]):
    """The JSON array in a column holds a value as one of its elements (never a part of
    one: "appeal" does not match "no-appeal"). Compiled per dialect below."""

    inherit_cache = True
    type: TypeEngine[bool] = Boolean()

    def __init__(self, column: Any, value: str) -> None:
        self.column = column
        self.value = literal(value)


def json_array_contains(column: Any, value: str) -> JsonArrayContains:
    return JsonArrayContains(column, value)


@compiles(JsonArrayContains, "postgresql")
def _postgresql(element: JsonArrayContains, compiler: Any, **kw: Any) -> str:
    return (f"(CAST({compiler.process(element.column, **kw)} AS JSONB) "
            f"@> jsonb_build_array({compiler.process(element.value, **kw)}))")


@compiles(JsonArrayContains)
def _sqlite(element: JsonArrayContains, compiler: Any, **kw: Any) -> str:
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(element.column, **kw)}) "
            f"WHERE json_each.value = {compiler.process(element.value, **kw)})")
