"""Alembic environment: runs on the connection handed over by claims.migrate, or on the
configured DATABASE_URL when called as plain `alembic`."""

from __future__ import annotations

from alembic import context

from claims.db.engine import for_writing, make_engine
from claims.db.models import Base
from common.settings import load_settings

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(load_settings().database_url)
    with for_writing(engine).connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
