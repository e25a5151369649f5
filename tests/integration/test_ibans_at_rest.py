"""IBANs are encrypted at rest under IBAN_KEYS, and the keys rotate (issue 14)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from claims.db import migrate
from claims.db.crypto import Keyring, new_key
from claims.db.engine import make_engine
from claims.db.models import Booking, Claim
from common.settings import SettingsError, load_settings
from portal import create_app
from tests.helpers import create_operator, load, look_up, submit
from tests.records import arrival, rail_booking

ON_FILE = "DE02120300000000202051"
TYPED = "DE89370400440532013000"


def _raw(app: Flask, sql: str) -> list[str]:
    with app.extensions["effortless"].engine.connect() as connection:
        return [row[0] for row in connection.execute(text(sql))]


def _file_with_typed_iban(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "hans@example.org"})],
         [arrival()])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Müller")
    assert submit(client, payout="iban", iban=TYPED, account_holder="Hans Müller"
                  ).status_code == 302


def test_no_iban_is_stored_in_clear_and_each_reads_back(app: Flask) -> None:
    _file_with_typed_iban(app)
    stored = _raw(app, "SELECT payment_iban FROM bookings") + _raw(
        app, "SELECT payout_iban FROM claims")
    assert len(stored) == 2
    for value in stored:
        assert ON_FILE not in value and TYPED not in value and value.startswith("gAAAAA")
    with app.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(Booking.payment_iban)).one() == ON_FILE
        assert session.scalars(select(Claim.payout_iban)).one() == TYPED
    # Generated once for development, readable by us only.
    keys = Path(app.instance_path) / "iban_keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600


def test_the_keys_rotate_and_an_unknown_key_is_named(
        settings_overrides: dict[str, Any]) -> None:
    old, new = new_key(), new_key()
    first = create_app({**settings_overrides, "IBAN_KEYS": old})
    _file_with_typed_iban(first)
    before = _raw(first, "SELECT payout_iban FROM claims")
    first.extensions["effortless"].close()

    both = create_app({**settings_overrides, "IBAN_KEYS": f"{new},{old}"})
    result = both.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "2 IBANs re-encrypted" in result.output
    after = _raw(both, "SELECT payout_iban FROM claims")
    assert after != before and Keyring([new]).decrypt(after[0]) == TYPED
    both.extensions["effortless"].close()

    only_new = create_app({**settings_overrides, "IBAN_KEYS": new})
    with only_new.extensions["effortless"].session_factory() as session:
        assert session.scalars(select(Claim.payout_iban)).one() == TYPED
    only_new.extensions["effortless"].close()

    # The old key alone no longer reads them, and rotating says which setting to fix.
    only_old = create_app({**settings_overrides, "IBAN_KEYS": old})
    result = only_old.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0 and "not in IBAN_KEYS" in result.output
    assert "nothing was changed" in result.output
    assert _raw(only_old, "SELECT payout_iban FROM claims") == after
    only_old.extensions["effortless"].close()


@pytest.mark.parametrize(("value", "environment", "message"), [
    ("not-a-key", "development", "not a Fernet key"),
    (None, "production", "IBAN_KEYS must be set in production"),
])
def test_bad_keys_stop_start_up_with_a_message(tmp_path: Path, value: str | None,
                                               environment: str, message: str) -> None:
    environ = {"INSTANCE_PATH": str(tmp_path), "EFFORTLESS_ENV": environment,
               "SECRET_KEY": "x" * 40}
    if value is not None:
        environ["IBAN_KEYS"] = value
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_the_migration_encrypts_what_was_stored_in_clear(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    key = new_key()
    monkeypatch.setenv("IBAN_KEYS", key)
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0014")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO operators (id, slug, name, regime, api_key_hash, created_at) "
            "VALUES (1, 'rail', 'Rail', 'eu-rail', 'x', '2026-11-01 10:00:00+00:00')")
        connection.exec_driver_sql(
            "INSERT INTO bookings (id, operator_id, reference, regime, passenger_name, "
            "fare_amount, fare_currency, fare_kind, imported_at, payment_iban) VALUES "
            "(1, 1, 'OLD001', 'eu-rail', 'Ada Old', '20.00', 'EUR', 'single', "
            f"'2026-11-01 10:00:00+00:00', '{ON_FILE}')")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT payment_iban FROM bookings").scalar_one()
    engine.dispose()
    assert ON_FILE not in stored and Keyring([key]).decrypt(stored) == ON_FILE
