"""The Alembic migrations, not create_all(), make the schema: prove they match the models."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from claims.db import migrate
from claims.db.engine import make_engine
from claims.db.models import (
    Base,
    Booking,
    Claim,
    ClaimEffort,
    ClaimEvent,
    EffortTimeDay,
    Operator,
    UnclaimedDay,
    UnclaimedDayDue,
)
from claims.operators import accounts
from claims.passengers import filing
from claims.reporting import effort_days, effort_store
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


def test_the_times_of_records_made_before_their_buckets_are_bucketed_as_the_catch_up_does(
        database_url: str) -> None:
    """Migration 0022 fills effort_time_days from the records already there, with the
    buckets the catch-up makes (its SQL repeats claims.reporting.effort_times)."""
    engine = make_engine(database_url)
    factory = sessionmaker(engine)
    accounts.create_operator(factory, "rail", "Rail", "eu-rail")
    with factory.begin() as session:
        operator_id = session.scalars(select(Operator.id)).one()
        ids = []
        for index, seconds in enumerate([0, 1, 99, 100, 101, 3599, 3600, 86_399, 250_000,
                                         250_001, 9_999_999, 41, 41, 7200]):
            submitted = datetime(2026, 11, 1 + index % 3, 12, tzinfo=UTC)
            claim = Claim(operator_id=operator_id, regime="eu-rail", status="approved",
                          passenger_name="Ada Old", submitted_at=submitted)
            session.add(claim)
            session.flush()
            ids.append(claim.id)
            session.execute(insert(ClaimEffort).values(
                claim_id=claim.id, operator_id=operator_id, regime="eu-rail",
                path="touchless", status="approved", submitted_at=submitted,
                decision_seconds=seconds, payout_seconds=seconds * 2 if index % 2 else None,
                queue_seconds=None, touchless_decision=True, touchless_payout=False,
                paid=False, fields_shown=4, fields_prefilled=2, fields_typed=0,
                fields_changed=0, active_seconds=30, validation_errors=0,
                submit_attempts=1, uploads=0, info_requests=0, contacts=0, appeals=0,
                clerk_seconds=0, touches=0, clerks=0, handovers=0, jobs=2, last_event_id=0))
        effort_days.roll_up(session, ids)

    def buckets() -> list[Any]:
        with engine.connect() as connection:
            return connection.execute(select(EffortTimeDay.__table__).order_by(
                *EffortTimeDay.__table__.primary_key.columns)).all()

    by_the_catch_up = buckets()
    assert len(by_the_catch_up) > 10
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0021")
    migrate.upgrade(engine)
    assert buckets() == by_the_catch_up
    engine.dispose()


def test_the_bookings_there_before_their_name_keys_are_found_by_surname(
        database_url: str) -> None:
    """Migration 0023 gives every booking already there its name key, as imports make it
    (claims.core.names.name_key): the look-up finds them by the typed surname."""
    engine = make_engine(database_url)
    factory = sessionmaker(engine)
    accounts.create_operator(factory, "rail", "Rail", "eu-rail")
    names = ["Hans Müller", "Claire Dupont-Martin", "–", "Jörg Groß"]
    with factory.begin() as session:
        operator_id = session.scalars(select(Operator.id)).one()
        session.add_all([Booking(operator_id=operator_id, reference=f"OLD{index}",
                                 regime="eu-rail", passenger_name=name,
                                 fare_amount=Decimal("10.00"), fare_currency="EUR",
                                 fare_kind="single") for index, name in enumerate(names)])
        session.flush()
        # A claim on one of them: SQLite must not copy the bookings table under it.
        session.add(Claim(operator_id=operator_id, regime="eu-rail", status="approved",
                          passenger_name="Hans Müller", submitted_at=datetime.now(UTC),
                          booking_id=session.scalars(select(Booking.id)).first()))
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0022")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(select(Booking.passenger_name_key)
                                  .order_by(Booking.reference)).scalars().all()
    assert keys == ["HANS MUELLER", "CLAIRE DUPONT MARTIN", "", "JOERG GROSS"]
    assert filing.find_booking(factory, "old3", "gross", record_lookup=False) is not None
    engine.dispose()


def test_the_time_to_money_is_rebuilt_from_the_payouts_with_confirmations_and_months(
        tmp_path: Path) -> None:
    """Migration 0029: a payment the bank returned leaves the buckets, the one made again
    counts from the original start to its file and to the bank's confirmation, and the
    months hold what the days hold; downgrading keeps the file's buckets only."""
    engine = make_engine(f"sqlite:///{tmp_path / 'paid.sqlite3'}")
    migrate.upgrade(engine, "0028")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO operators (id, slug, name, regime, api_key_hash, created_at) "
            "VALUES (1, 'rail', 'Rail', 'eu-rail', 'x', '2026-11-01 10:00:00+00:00')")
        connection.exec_driver_sql(  # no booking: the time starts at the filing
            "INSERT INTO claims (id, operator_id, regime, status, language, passenger_name, "
            "payout_method, submitted_at) VALUES (1, 1, 'eu-rail', 'paid', 'en', 'Ada Old', "
            "'iban', '2026-11-01 10:00:00.000000')")
        for run, written in ((1, "2026-11-02 10:00:00.000000"),
                             (2, "2026-12-01 10:00:00.000000")):
            connection.exec_driver_sql(
                "INSERT INTO payout_runs (id, operator_id, created_at, transfers, vouchers, "
                f"total, currency, file_name, file_written_at) VALUES ({run}, 1, '{written}', "
                f"1, 0, '5.00', 'EUR', 'run-{run}.xml', '{written}')")
        connection.exec_driver_sql(  # sent back by the bank, then paid again: confirmed
            "INSERT INTO payouts (id, claim_id, part, run_id, method, amount, currency, "
            "created_at, confirmed_at, returned_at, return_code) VALUES "
            "(1, 1, 0, 1, 'iban', '5.00', 'EUR', '2026-11-02 10:00:00.000000', NULL, "
            "'2026-11-04 10:00:00.000000', 'AC04'), "
            "(2, 1, 1, 2, 'iban', '5.00', 'EUR', '2026-12-01 10:00:00.000000', "
            "'2026-12-02 10:00:00.000000', NULL, NULL)")
        connection.exec_driver_sql(  # as the payout code before 0029 kept part 0
            "INSERT INTO money_time_days VALUES ('2026-11-02', 1, 'eu-rail', 'no-booking', "
            "'file', 100, 1, 86400)")
    migrate.upgrade(engine)
    from_start = {"file": 30 * 86400, "confirmed": 31 * 86400}
    with engine.connect() as connection:
        days = connection.exec_driver_sql(
            "SELECT day, path, measure, payouts, seconds FROM money_time_days "
            "ORDER BY measure").all()
        months = connection.exec_driver_sql(
            "SELECT month, path, measure, payouts, seconds FROM money_time_months "
            "ORDER BY measure").all()
        starts = connection.exec_driver_sql(
            "SELECT id, money_time_from, money_time_path FROM payouts ORDER BY id").all()
    assert [tuple(row) for row in days] == [
        ("2026-12-01", "no-booking", measure, 1, from_start[measure])
        for measure in ("confirmed", "file")]
    assert [tuple(row) for row in months] == [
        ("2026-12-01", "no-booking", measure, 1, from_start[measure])
        for measure in ("confirmed", "file")]
    assert [(row[0], row[1][:19], row[2]) for row in starts] == [
        (1, "2026-11-01 10:00:00", "no-booking"), (2, "2026-11-01 10:00:00", "no-booking")]
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0028")
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT measure FROM money_time_days").scalars().all() == ["file"]
    engine.dispose()
