"""The one settings module: every setting comes from the environment (or an override
mapping of the same keys), has a safe default for the embedded mode, and a bad value
stops start-up with a message naming the setting.

Kept free of Flask so that workers and scripts read the very same settings."""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Under the instance folder: where mail is written as files when no MAIL_SERVER is set.
OUTBOX_FOLDER = "outbox"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_ENVIRONMENTS = {"development", "production", "testing"}


class SettingsError(ValueError):
    """A setting has a value we cannot run with."""


@dataclass(frozen=True)
class Settings:
    environment: str
    instance_path: Path
    database_url: str
    # None means: start (or join) the embedded Redis server under instance_path.
    redis_url: str | None
    secret_key: str
    ratelimit_enabled: bool
    mail_server: str | None
    mail_port: int
    mail_use_tls: bool
    mail_username: str | None
    mail_password: str | None
    mail_sender: str
    rq_worker_count: int
    # Proxies in front of the portal (the load balancer) whose X-Forwarded-For/-Proto/-Host
    # are trusted: the rate limits then count each client, not the balancer's address.
    trusted_proxies: int
    # Claims one drain job decides per transaction: larger is faster under a storm, smaller
    # holds fewer row locks for less time.
    assessment_batch: int
    # How long a drain loop that found one due claim waits for more before it decides, in
    # a busy stretch (workflows/drain.py): one transaction for the claims filed in those
    # milliseconds instead of one each (a batch of one costs nearly what a batch of twenty
    # does). After a quiet spell a claim is decided at once. 150 ms, not 50: with claims
    # filed at 120/s, the workers' and the database's time per decision fell from 4.1 to
    # 2.3 ms, and the filing path beside them rose from 0.23 to 0.26 of the trivial
    # endpoint (bench/submit_claims.py), for a decision 140 ms after the submit instead of
    # 80 (p50): the status page refreshes every second.
    assessment_gather_ms: int
    # The effort reports' cost model (effort.md), stated on every report that uses it: a
    # clerk hour at its capacity cost rate, one job of the system, one payout transaction.
    cost_clerk_per_hour: Decimal
    cost_per_job: Decimal
    cost_per_payout: Decimal
    # Where passengers reach the portal: the base of the links in e-mails.
    public_url: str
    # How long a status link works; every e-mail carries a fresh one.
    status_link_days: int = 180
    # The token Prometheus sends for /metrics; without one, /metrics is off.
    metrics_token: str | None = None
    # The time zone pages, letters and e-mails show times in.
    timezone: str = "Europe/Berlin"
    # Personal data of a closed claim are erased this long after its last event.
    retention_days: int = 1095
    # Fernet keys for IBANs at rest: the first encrypts, all decrypt (rotation).
    iban_keys: tuple[str, ...] = ()
    # E-mails per second across all workers: a storm day's offers must not get the
    # sending host throttled or blocked by the mail provider. 0: no limit.
    mail_rate: int = 20

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def outbox_path(self) -> Path:
        return self.instance_path / OUTBOX_FOLDER


def load_settings(overrides: Mapping[str, object] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    source: dict[str, object] = dict(os.environ if environ is None else environ)
    source.update(overrides or {})

    def text(key: str) -> str | None:
        value = source.get(key)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    environment = (text("EFFORTLESS_ENV") or "development").lower()
    if environment not in _ENVIRONMENTS:
        raise SettingsError(
            f"EFFORTLESS_ENV={environment!r} is not one of {', '.join(sorted(_ENVIRONMENTS))}")

    instance_path = Path(text("INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"INSTANCE_PATH={instance_path}: cannot create it ({error})") from error

    return Settings(
        environment=environment,
        instance_path=instance_path,
        database_url=_database_url(text("DATABASE_URL"), instance_path),
        redis_url=_redis_url(text("REDIS_URL")),
        secret_key=text("SECRET_KEY") or _instance_secret(instance_path, environment),
        ratelimit_enabled=_boolean("RATELIMIT_ENABLED", source.get("RATELIMIT_ENABLED"), True),
        mail_server=text("MAIL_SERVER"),
        mail_port=_integer("MAIL_PORT", text("MAIL_PORT"), 25, low=1, high=65535),
        mail_use_tls=_boolean("MAIL_USE_TLS", source.get("MAIL_USE_TLS"), False),
        mail_username=text("MAIL_USERNAME"),
        mail_password=text("MAIL_PASSWORD"),
        mail_sender=text("MAIL_SENDER") or "Effortless <claims@effortless.example>",
        rq_worker_count=_integer("RQ_WORKERS", text("RQ_WORKERS"), 2, low=1, high=64),
        trusted_proxies=_integer("TRUSTED_PROXIES", text("TRUSTED_PROXIES"), 0, low=0,
                                 high=5),
        assessment_batch=_integer("ASSESSMENT_BATCH", text("ASSESSMENT_BATCH"), 100,
                                  low=1, high=1000),
        # 300 ms: measured with bench/submit_claims.py (2,000 claims filed while 2 workers
        # decide, two runs each), the workers' and PostgreSQL's CPU per claim were
        # 1.06 + 1.87 ms at 150, 0.78 + 1.61 ms at 300 and 0.76 + 1.71 ms at 400, and
        # p50 / p95 submit-to-decision 122 / 229, 209 / 383 and 266 / 480 ms.
        assessment_gather_ms=_integer("ASSESSMENT_GATHER_MS", text("ASSESSMENT_GATHER_MS"),
                                      300, low=0, high=1000),
        cost_clerk_per_hour=_rate("COST_CLERK_PER_HOUR", text("COST_CLERK_PER_HOUR"), "42.00"),
        cost_per_job=_rate("COST_PER_JOB", text("COST_PER_JOB"), "0.002"),
        cost_per_payout=_rate("COST_PER_PAYOUT", text("COST_PER_PAYOUT"), "0.15"),
        public_url=_public_url(text("PUBLIC_URL")),
        timezone=_timezone(text("TIMEZONE")),
        metrics_token=text("METRICS_TOKEN"),
        retention_days=_integer("RETENTION_DAYS", text("RETENTION_DAYS"), 1095, low=30,
                                high=36500),
        iban_keys=_iban_keys(text("IBAN_KEYS"), instance_path, environment),
        mail_rate=_integer("MAIL_RATE", text("MAIL_RATE"), 20, low=0, high=10_000),
        status_link_days=_integer("STATUS_LINK_DAYS", text("STATUS_LINK_DAYS"), 180, low=1,
                                  high=3650),
    )


def _database_url(value: str | None, instance_path: Path) -> str:
    if value is None:
        return f"sqlite:///{instance_path / 'effortless.sqlite3'}"
    scheme = urlsplit(value).scheme
    # Heroku-style and bare PostgreSQL URLs mean the psycopg 3 driver we ship.
    if scheme in {"postgres", "postgresql"}:
        return "postgresql+psycopg" + value[len(scheme):]
    if scheme in {"postgresql+psycopg", "sqlite"}:
        return value
    raise SettingsError(
        f"DATABASE_URL has the scheme {scheme!r}; use postgresql://user@host/db or sqlite:///path")


def _redis_url(value: str | None) -> str | None:
    if value is None:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError(
            f"REDIS_URL has the scheme {scheme!r}; use redis://host:port/db or unix:///path")
    return value


def _public_url(value: str | None) -> str:
    if value is None:
        return "http://127.0.0.1:5000"
    if urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc:
        raise SettingsError(f"PUBLIC_URL={value!r} is not an http(s) URL")
    return value.rstrip("/")


def _boolean(key: str, value: object, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{key}={value!r} is not a boolean; use true or false")


def _integer(key: str, value: str | None, default: int, *, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{key}={value!r} is not a whole number") from None
    if not low <= number <= high:
        raise SettingsError(f"{key}={number} is outside {low}..{high}")
    return number


def _rate(key: str, value: str | None, default: str) -> Decimal:
    """A cost rate in EUR: a plain decimal number, zero or more."""
    try:
        rate = Decimal(value if value is not None else default)
    except InvalidOperation:
        raise SettingsError(f"{key}={value!r} is not a number such as 42.00") from None
    if not rate.is_finite() or rate < 0:
        raise SettingsError(f"{key}={value!r} must be zero or more")
    return rate


def _instance_secret(instance_path: Path, environment: str) -> str:
    """Generated once and kept, so sessions survive a restart."""
    if environment == "production":
        raise SettingsError("SECRET_KEY must be set in production")
    return _instance_file(instance_path / "secret_key", lambda: secrets.token_urlsafe(48))


def _instance_file(path: Path, make: Callable[[], str]) -> str:
    """A secret generated once into the instance folder (mode 0600) and kept."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(descriptor, "w") as handle:
        key = make()
        handle.write(key)
    return key


def _timezone(value: str | None) -> str:
    name = value or "Europe/Berlin"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"TIMEZONE={name!r} is not a time zone such as Europe/Berlin") \
            from None
    return name


def _iban_keys(value: str | None, instance_path: Path, environment: str) -> tuple[str, ...]:
    """IBAN_KEYS: comma-separated Fernet keys, the newest first. In development one is
    generated once into instance/iban_keys, as the secret key is."""
    if value is None:
        if environment == "production":
            raise SettingsError("IBAN_KEYS must be set in production (generate one with "
                                "`flask keys new`)")
        value = _instance_file(instance_path / "iban_keys", _new_fernet_key)
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError:
            raise SettingsError("IBAN_KEYS holds a value that is not a Fernet key (32 bytes, "
                                "URL-safe base64); generate one with `flask keys new`") from None
    if not keys:
        raise SettingsError("IBAN_KEYS is empty")
    return keys


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _read_secret(path: Path) -> str:
    # Another process may have created the file a moment ago and not yet written it.
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise SettingsError(f"{path} is empty; delete it or set the setting it stands for")
