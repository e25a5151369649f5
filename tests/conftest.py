"""Fixtures on real services: SQLite or PostgreSQL, the embedded Redis or a Redis server.

DATABASE_URL and REDIS_URL switch from the embedded defaults to real servers, exactly as
for the application itself."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from claims.db import migrate
from claims.db.engine import make_engine
from claims.db.models import Base
from common.settings import load_settings
from portal import create_app
from tests.helpers import REAL_DATABASE, REAL_REDIS, Sink, free_port
from workflows import embedded_redis

SECRET = "a-test-secret-that-is-long-enough-for-signing"


@pytest.fixture(scope="session")
def services_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_url(services_root: Path) -> Iterator[str]:
    if REAL_REDIS:
        yield REAL_REDIS
        return
    url = embedded_redis.ensure_running(services_root)
    yield url
    embedded_redis.stop(services_root)


@pytest.fixture(scope="session")
def migrated_database(services_root: Path) -> str:
    """A database migrated once per session: PostgreSQL's public schema rebuilt, or a
    SQLite template file that each test copies."""
    if REAL_DATABASE:
        url = load_settings({"DATABASE_URL": REAL_DATABASE}).database_url
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        engine.dispose()
        return url
    template = services_root / "template.sqlite3"
    engine = make_engine(f"sqlite:///{template}")
    migrate.upgrade(engine)
    engine.dispose()
    return f"sqlite:///{template}"


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "effortless.sqlite3"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    engine = make_engine(migrated_database)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_database


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def settings_overrides(database_url: str, redis_url: str, redis_client: redis.Redis,
                       tmp_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": SECRET,
        "EFFORTLESS_ENV": "testing",
        "RATELIMIT_ENABLED": "false",
    }


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A local SMTP server on a free port, and what it received."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture
def app(settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(settings_overrides)
    yield application
    application.extensions["effortless"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session_factory(app: Flask) -> Any:
    return app.extensions["effortless"].session_factory


@pytest.fixture(autouse=True)
def _effort_reads_the_newest_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a test nothing else commits around the reader: it may read events at once."""
    from datetime import timedelta

    from claims.reporting import effort_store

    monkeypatch.setattr(effort_store, "SETTLE", timedelta(0))
