"""What a worker process (or a web process) needs once: settings, database, Redis.

Built lazily from the environment, so a plain `rq worker` started by hand works, and
configured explicitly by create_app() so that tests can point it elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from claims.db import crypto
from claims.db.engine import make_engine, make_session_factory
from common.settings import Settings, load_settings
from workflows import embedded_redis


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis_url: str
    _redis: redis.Redis | None = None

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self.ensure_redis()
            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=10,
                                               socket_connect_timeout=5)
        return self._redis

    def ensure_redis(self) -> None:
        """Start the embedded server when it is ours to run and nobody has yet."""
        if self.settings.embedded_redis:
            embedded_redis.ensure_running(self.settings.instance_path)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        self.engine.dispose()


_current: Runtime | None = None


def build(settings: Settings) -> Runtime:
    """Connects nothing yet: the embedded Redis starts on first use, not for a CLI command."""
    engine = make_engine(settings.database_url)
    crypto.attach(engine, settings.iban_keys)
    redis_url = settings.redis_url or embedded_redis.url_for(settings.instance_path)
    return Runtime(settings, engine, make_session_factory(engine), redis_url)


def install(runtime: Runtime) -> Runtime:
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    return _current if _current is not None else install(build(load_settings()))
