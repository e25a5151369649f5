"""Alembic, called from code: `flask --app wsgi db upgrade`, the tests and the bench."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from claims.db.dialect import migrating
from claims.db.engine import for_writing

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with (for_writing(engine).connect() as connection, migrating(connection) as check,
          connection.begin()):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        check()


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads
