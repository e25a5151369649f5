"""Bulk writes for imports and benches: PostgreSQL's COPY where it is there, multi-row
INSERTs elsewhere, and ids reserved ahead for rows written that way."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Insert, Table, TypeDecorator, insert, text
from sqlalchemy.orm import Session

from claims.db.dialect import copies_rows
from claims.db.engine import prepared
from claims.db.models import Base


def insert_row(session: Session, model: type[Base], row: dict[str, Any]) -> None:
    """One row by a plain INSERT, past the ORM's unit of work (its flush was 40 % of the
    submit's time, measured with py-spy): for rows nothing reads back in the same
    transaction. Column types convert as usual; Python-side defaults are not applied, so
    give every value."""
    session.connection().execute(_insert_into(model), row)


@cache
def _insert_into(model: type[Base]) -> Insert:
    """One INSERT statement per table, built once (SQLAlchemy keys a statement for its
    compiled-SQL cache each time one is constructed), and prepared: an insert's plan
    never changes."""
    return prepared(insert(cast(Table, model.__table__)))


def insert_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if copies_rows(session):
        _copy(session, model, rows)
    else:
        session.execute(insert(model), rows)


def _copy(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: ten times the speed of multi-row INSERTs for bulk imports.

    It bypasses SQLAlchemy, so the column types' own conversions and Python-side
    defaults are applied here: per column, once, not per value. Plain values are taken
    from each row in one call (a million effort records are 35 million values)."""
    table = cast(Table, model.__table__)
    connection = session.connection()
    dialect = connection.dialect
    columns = [c for c in table.columns if c.name in rows[0] or c.default is not None]
    plain = [c.name for c in columns if c.name in rows[0] and not _converted(c)]
    special = [(c.name, _converter(c, dialect, rows[0])) for c in columns
               if c.name not in plain]
    take_plain = itemgetter(*plain) if len(plain) > 1 else (
        (lambda row: (row[plain[0]],)) if plain else (lambda _row: ()))
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection has no driver connection to COPY with")
    names = [*plain, *(name for name, _convert in special)]
    with driver.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*take_plain(row), *(convert(row) for _name, convert in special)))


def _converted(column: Any) -> bool:
    return isinstance(column.type, TypeDecorator | JSON)


def _converter(column: Any, dialect: Any, first: dict[str, Any]) -> Callable[[Any], Any]:
    """The value of a column that needs work: its default when rows leave it out, its
    type's own conversion, and JSON as text (COPY takes JSON columns' text)."""
    name = column.name
    default = getattr(column.default, "arg", None)
    given: Callable[[dict[str, Any]], Any] = itemgetter(name) if name in first \
        else (lambda _row: _default(default))
    bind = column.type.process_bind_param if isinstance(column.type, TypeDecorator) \
        else None
    as_json = isinstance(column.type, JSON) or (
        bind is not None and isinstance(column.type.impl_instance, JSON))

    def convert(row: dict[str, Any]) -> Any:
        value = given(row)
        if as_json and value is not None:
            value = json.dumps(value)
        return bind(value, dialect) if bind else value

    return convert


def _default(default: Any) -> Any:
    # Column defaults are wrapped by SQLAlchemy to take an execution context.
    return default(None) if callable(default) else default


def reserve_ids(session: Session, model: type[Base], count: int) -> list[int]:
    """Ids for rows written by COPY (which would otherwise not say which ids it gave).
    PostgreSQL only; SQLite has one writer at a time, who may count on from the maximum."""
    table = cast(Table, model.__table__).name
    if not copies_rows(session):
        start = (session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1
        return list(range(start, start + count))
    return list(session.scalars(
        text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
             "FROM generate_series(1, :count)"), {"count": count}))


def insert_returning_ids(session: Session, model: type[Base],
                         rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows; their new ids, in the rows' order."""
    if copies_rows(session):
        ids = reserve_ids(session, model, len(rows))
        _copy(session, model, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids
    table = cast(Table, model.__table__)
    return list(session.scalars(
        insert(model).returning(table.c.id, sort_by_parameter_order=True), rows))
