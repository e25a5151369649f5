"""What PostgreSQL and SQLite do differently, kept here so use cases stay dialect-free:
the one place that names a dialect (tests/unit/test_dialect_home.py holds every other
module to that). Each difference is a capability with a name that says what it is for;
the engines' set-ups are in sqlite_engine and postgresql_engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Insert,
    Integer,
    Numeric,
    Table,
    any_,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.expression import literal
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

from claims.db.dialect import postgresql_engine, sqlite_engine


def dialect_engine(url: str, **options: Any) -> Engine:
    """The engine for a database URL, set up for its dialect."""
    if url.startswith("sqlite"):
        return sqlite_engine.make_engine(url, **options)
    return postgresql_engine.make_engine(url, **options)


def _on_postgresql(bind: Session | Connection | Engine) -> bool:
    if isinstance(bind, Session):
        return bool(bind.get_bind().dialect.name == "postgresql")
    return bool(bind.dialect.name == "postgresql")


def statements_commit_alone(bind: Engine) -> bool:
    """Whether a session can run each statement in a transaction of its own (PostgreSQL's
    autocommit). SQLite's reading transaction is a snapshot, and one that writes takes
    the lock first: there a session that writes is one transaction."""
    return _on_postgresql(bind)


def copies_rows(session: Session) -> bool:
    """Whether many rows can be written with COPY (PostgreSQL's, not SQLite's)."""
    return _on_postgresql(session)


def reads_at_once(session: Session) -> bool:
    """Whether reads can run at once on connections of their own that share one snapshot
    (PostgreSQL's exported snapshots; SQLite has one connection's view)."""
    return _on_postgresql(session)


def builds_in_processes(engine: Engine) -> bool:
    """Whether processes of their own may write at once (SQLite has one writer at a time:
    processes would only wait for each other)."""
    return _on_postgresql(engine)


def refresh_planner_statistics(session: Session, tables: Sequence[str]) -> None:
    """After tables changed wholesale, the planner learns of it now, not when autovacuum
    comes round (till then a report over a million records plans for a thousand).
    SQLite plans without statistics unless asked: nothing to do there."""
    if _on_postgresql(session):
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


def numbers_kept_as_text(dialect: Dialect) -> bool:
    """SQLite has no exact decimal type: amounts are kept as text (compared with
    as_number)."""
    return bool(dialect.name == "sqlite")


def instants_kept_naive(dialect: Dialect) -> bool:
    """SQLite keeps no time zone: instants are stored in UTC without one."""
    return bool(dialect.name == "sqlite")


@contextmanager
def migrating(connection: Connection) -> Iterator[Callable[[], None]]:
    """Around migrations on a connection outside a transaction; gives the check to run at
    the end of the migrations' transaction (SQLite's foreign keys, switched off while
    tables are copied; nothing on PostgreSQL, whose DDL keeps them)."""
    if _on_postgresql(connection):
        yield lambda: None
        return
    with sqlite_engine.foreign_keys_off(connection) as check:
        yield check


ConflictInsert = postgresql.Insert | sqlite.Insert


def insert_on_conflict(dialect: str, table: Table) -> ConflictInsert:
    """An INSERT that can say ON CONFLICT … DO UPDATE or DO NOTHING (both dialects'
    `insert` have it, as their own classes)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def insert_or_ignore_chained(table: Table, unique_column: str) -> Insert:
    """insert_or_ignore for the statements chained in one WITH, which run where
    chains_writes says they can: PostgreSQL."""
    return insert_or_ignore("postgresql", table, unique_column)


def chains_writes(session_factory: sessionmaker[Session]) -> bool:
    """Whether inserts can be chained in one statement (a WITH of INSERTs, each using
    what the one before returned): PostgreSQL's, not SQLite's."""
    return _on_postgresql(session_factory.kw["bind"])


def insert_or_ignore(dialect: str, table: Table, unique_column: str) -> Insert:
    """An INSERT that writes nothing where a row with the same unique_column is there
    already (ON CONFLICT DO NOTHING, on both): for rows the database keeps one of."""
    return insert_on_conflict(dialect, table).on_conflict_do_nothing(
        index_elements=[unique_column])


def one_of(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """column IN ids. On PostgreSQL as `= ANY(array)`: one parameter, where an IN list of a
    thousand ids costs the driver and the server a thousand (a sixth of an effort build)."""
    if _on_postgresql(session):
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer), unique=True))
    result: ColumnElement[bool] = column.in_(ids)
    return result


def json_array_elements(session: Session, column: Any) -> Any:
    """The elements of the JSON array in a column, as a table (its column `value`) to join
    each row with: json_array_elements_text on PostgreSQL, json_each on SQLite."""
    if _on_postgresql(session):
        return func.json_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def driver_rows(connection: Connection, statement: Executable) -> Sequence[Sequence[Any]]:
    """A SELECT's rows. On PostgreSQL as the driver made them, without SQLAlchemy's
    processing of each value (a fifth of an effort build's time): only for columns whose
    driver values are already the Python values (numbers, text, JSON, and instants, which a
    UTC session gives as datetime.UTC). SQLite's instants are text: there the column types
    convert them."""
    result = connection.execute(statement)
    if not _on_postgresql(connection):
        return result.all()
    try:
        rows: Sequence[Sequence[Any]] = result.cursor.fetchall()
        return rows
    finally:
        result.close()


# What the cache key of each element below is made of. Without one, SQLAlchemy compiles
# every statement that holds such an element anew (NO_CACHE_KEY): 5 ms of the report
# page's Python, for its sums by week.
ONE_COLUMN = [("column", InternalTraversal.dp_clauseelement)]
COLUMN_AND_VALUE = [*ONE_COLUMN, ("value", InternalTraversal.dp_clauseelement)]


class JsonArrayContains(ColumnElement[bool]):
    """The JSON array in a column holds a value as one of its elements (never a part of
    one: "appeal" does not match "no-appeal"). Compiled per dialect below."""

    inherit_cache = True
    _traverse_internals = COLUMN_AND_VALUE
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


class _OfOneColumn(ColumnElement[Any]):
    """A date made of one column; the column is what the cache key is made of (see
    JsonArrayContains)."""

    inherit_cache = True
    _traverse_internals = ONE_COLUMN
    type: TypeEngine[Any] = Date()

    def __init__(self, column: Any) -> None:
        self.column = column


class UtcDay(_OfOneColumn):
    """The day (UTC) an instant falls in, as a date: what effort_days is keyed by."""

    inherit_cache = True


class MondayOf(_OfOneColumn):
    """The Monday of the week a date falls in, as a date."""

    inherit_cache = True


def utc_day(column: Any) -> UtcDay:
    return UtcDay(column)


def monday_of(column: Any) -> MondayOf:
    return MondayOf(column)


@compiles(UtcDay, "postgresql")
def _day_postgresql(element: UtcDay, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.column, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(UtcDay)
def _day_sqlite(element: UtcDay, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.column, **kw)})"


@compiles(MondayOf, "postgresql")
def _monday_postgresql(element: MondayOf, compiler: Any, **kw: Any) -> str:
    return (f"CAST(date_trunc('week', CAST({compiler.process(element.column, **kw)} "
            "AS TIMESTAMP)) AS DATE)")


@compiles(MondayOf)
def _monday_sqlite(element: MondayOf, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.column, **kw)}, 'weekday 0', '-6 days')"


class LocalDate(_OfOneColumn):
    """The local date of a timetable instant stored as ISO 8601 text with its UTC offset
    (claims.db.types.LocalDateTime): its first ten characters, as a date. The same as the
    aware datetime's date(), the date an operations record is keyed by."""

    inherit_cache = True


def local_date(column: Any) -> LocalDate:
    return LocalDate(column)


@compiles(LocalDate, "postgresql")
def _local_date_postgresql(element: LocalDate, compiler: Any, **kw: Any) -> str:
    return f"CAST(substr({compiler.process(element.column, **kw)}, 1, 10) AS DATE)"


@compiles(LocalDate)
def _local_date_sqlite(element: LocalDate, compiler: Any, **kw: Any) -> str:
    # SQLite keeps dates as ISO text: the ten characters are the date.
    return f"substr({compiler.process(element.column, **kw)}, 1, 10)"


class AsNumber(ColumnElement[Any]):
    """A Money column as a number: SQLite keeps amounts as text, which compares "650.00"
    above "1000" (claims.db.types.Money compares through this)."""

    inherit_cache = True
    _traverse_internals = ONE_COLUMN
    type: TypeEngine[Any] = Numeric(12, 2)

    def __init__(self, column: Any) -> None:
        self.column = column


def as_number(column: Any) -> AsNumber:
    return AsNumber(column)


@compiles(AsNumber, "postgresql")
def _as_number_postgresql(element: AsNumber, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)  # NUMERIC already


@compiles(AsNumber)
def _as_number_sqlite(element: AsNumber, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.column, **kw)} AS NUMERIC)"
