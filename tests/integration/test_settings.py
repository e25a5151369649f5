from pathlib import Path

import pytest

from common.settings import SettingsError, load_settings
from portal import create_app


def test_embedded_defaults_live_under_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'effortless.sqlite3'}"
    assert settings.embedded_redis
    assert settings.ratelimit_enabled
    assert settings.mail_server is None


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={}).secret_key
    second = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={}).secret_key
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_overrides_win_over_the_environment(tmp_path: Path) -> None:
    settings = load_settings({"REDIS_URL": "redis://cache:6379/2"},
                             environ={"REDIS_URL": "redis://other/0",
                                      "INSTANCE_PATH": str(tmp_path),
                                      "DATABASE_URL": "postgres://u@db/effortless"})
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.database_url == "postgresql+psycopg://u@db/effortless"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("DATABASE_URL", "mysql://x/y", "DATABASE_URL has the scheme 'mysql'"),
    ("REDIS_URL", "http://x", "REDIS_URL has the scheme 'http'"),
    ("RATELIMIT_ENABLED", "maybe", "RATELIMIT_ENABLED='maybe' is not a boolean"),
    ("MAIL_PORT", "smtp", "MAIL_PORT='smtp' is not a whole number"),
    ("MAIL_PORT", "70000", "MAIL_PORT=70000 is outside"),
    ("ASSESSMENT_BATCH", "0", "ASSESSMENT_BATCH=0 is outside"),
    ("COST_CLERK_PER_HOUR", "lots", "COST_CLERK_PER_HOUR=.lots. is not a number"),
    ("EFFORTLESS_ENV", "staging", "EFFORTLESS_ENV='staging' is not one of"),
])
def test_a_bad_value_stops_start_up_naming_the_setting(tmp_path: Path, key: str, value: str,
                                                        message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app({"INSTANCE_PATH": str(tmp_path), key: value})


def test_production_refuses_to_invent_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY must be set in production"):
        load_settings({"INSTANCE_PATH": str(tmp_path), "EFFORTLESS_ENV": "production"},
                      environ={})
