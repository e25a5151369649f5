"""The Alembic migrations, not create_all(), make the schema: prove they match the models."""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from claims.db import migrate
from claims.db.engine import make_engine
from claims.db.models import Base, ClaimEvent, UnclaimedDay, UnclaimedDayDue
from claims.reporting import effort_store
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


def test_a_database_with_claims_in_it_is_migrated_to_the_newest_schema(
        tmp_path: Path) -> None:
    """The upgrade path a running installation takes: claims, events and bookings pointing
    at each other while the claims table is rebuilt (SQLite copies it)."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0009")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO operators (id, slug, name, regime, api_key_hash, created_at) "
            "VALUES (1, 'rail', 'Rail', 'eu-rail', 'x', '2026-11-01 10:00:00+00:00')")
        connection.exec_driver_sql(
            "INSERT INTO bookings (id, operator_id, reference, regime, passenger_name, "
            "fare_amount, fare_currency, fare_kind, imported_at) VALUES "
            "(1, 1, 'OLD001', 'eu-rail', 'Ada Old', '20.00', 'EUR', 'single', "
            "'2026-11-01 10:00:00+00:00')")
        connection.exec_driver_sql(
            "INSERT INTO claims (id, booking_id, operator_id, regime, status, language, "
            "passenger_name, reason_codes, payout_method, submitted_at) VALUES "
            "(1, 1, 1, 'eu-rail', 'needs_review', 'en', 'Ada Old', "
            "'passenger-statement name-changed', 'account', '2026-11-01 10:00:00+00:00')")
        connection.exec_driver_sql(
            "INSERT INTO claim_events (claim_id, booking_id, at, actor, kind, counts) VALUES "
            "(1, 1, '2026-11-01 10:00:00+00:00', 'passenger', 'claim_submitted', '{}')")
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT reason_codes, direction FROM claims WHERE id = 1").one()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (json.loads(row[0]), row[1]) == (["passenger-statement", "name-changed"], "outbound")
    engine.dispose()


def test_the_journeys_checked_before_unclaimed_days_are_added_up(tmp_path: Path) -> None:
    """Migration 0021 notes every day with a journey check due; the next catch-up adds
    them up: an installation upgraded with delays on record reports them unclaimed."""
    engine = make_engine(f"sqlite:///{tmp_path / 'checked.sqlite3'}")
    migrate.upgrade(engine, "0020")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO operators (id, slug, name, regime, api_key_hash, created_at, "
            "proactive_mode) VALUES (1, 'rail', 'Rail', 'eu-rail', 'x', "
            "'2026-11-01 10:00:00+00:00', 'off')")
        for booking in (1, 2, 3):
            connection.exec_driver_sql(
                "INSERT INTO bookings (id, operator_id, reference, regime, passenger_name, "
                "fare_amount, fare_currency, fare_kind, imported_at) VALUES "
                f"({booking}, 1, 'OLD00{booking}', 'eu-rail', 'Ada Old', '20.00', 'EUR', "
                "'single', '2026-11-01 10:00:00+00:00')")
            connection.exec_driver_sql(
                "INSERT INTO journey_checks (booking_id, direction, operator_id, regime, "
                "outcome, eligible, amount, currency, arrived_at, checked_at) VALUES "
                f"({booking}, 'outbound', 1, 'eu-rail', 'off', {int(booking != 3)}, "
                "'5.00', 'EUR', '2026-11-01T12:00:00+01:00', '2026-11-01 12:30:00.000000')")
        connection.exec_driver_sql(  # the first journey is claimed
            "INSERT INTO claims (id, booking_id, direction, operator_id, regime, status, "
            "language, passenger_name, payout_method, submitted_at) VALUES "
            "(1, 1, 'outbound', 1, 'eu-rail', 'submitted', 'en', 'Ada Old', 'account', "
            "'2026-11-02 10:00:00+00:00')")
    migrate.upgrade(engine)
    factory = sessionmaker(engine)
    assert effort_store.waiting_since(factory) is not None
    effort_store.refresh(factory, settle=timedelta(0))
    with factory() as session:
        sums = session.execute(select(UnclaimedDay.day, UnclaimedDay.journeys,
                                      UnclaimedDay.amount)).all()
        assert session.scalar(select(func.count()).select_from(UnclaimedDayDue)) == 0
    assert sums == [(date(2026, 11, 1), 1, Decimal("5.00"))]
    assert effort_store.waiting_since(factory) is None
    engine.dispose()
