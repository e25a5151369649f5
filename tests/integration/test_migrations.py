"""The Alembic migrations, not create_all(), make the schema: prove they match the models."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError

from claims.db import migrate
from claims.db.engine import make_engine
from claims.db.models import Base, ClaimEvent
from tests.helpers import REAL_DATABASE


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_produce_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    engine.dispose()
    assert _differences(url) == []


@pytest.mark.skipif(not (REAL_DATABASE or "").startswith("postgres"),
                    reason="runs when DATABASE_URL names PostgreSQL (the second .ci/run pass)")
def test_migrations_produce_the_models_schema_on_postgresql(migrated_database: str) -> None:
    engine = make_engine(migrated_database)
    assert migrate.is_current(engine)
    engine.dispose()
    assert _differences(migrated_database) == []


def test_the_event_log_is_append_only(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(ClaimEvent).values(actor="system", kind="probe", counts={}))
    for statement in (update(ClaimEvent).values(kind="changed"), text("DELETE FROM claim_events")):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement)
    engine.dispose()
