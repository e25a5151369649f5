"""Flask extensions, each bound with init_app; the runtime (database, Redis) hangs on the app."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect

from common.settings import Settings
from portal import translations_per_request
from workflows.runtime import Runtime

LANGUAGES = ("en", "de")

csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()


def select_language() -> str:
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def limiter_storage_uri(redis_url: str) -> str:
    # Flask-Limiter names Unix sockets redis+unix://; redis-py names them unix://.
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def init_app(app: Flask, settings: Settings, runtime: Runtime) -> None:
    app.extensions["effortless"] = runtime
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(runtime.redis_url),
        RATELIMIT_HEADERS_ENABLED=True,
        # A Redis outage must not take the portal down with it, nor switch the limits off:
        # they go on in this process's memory (logged) until Redis is back.
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        BABEL_TRANSLATION_DIRECTORIES=str(app.root_path + "/translations"),
        # Times on pages and in letters: the passengers' local time, not UTC.
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_language)
    translations_per_request.install(app, babel)
    # Flask-Login's context processor loads the user for every page rendered, and on a
    # passenger's page that writes a "_fresh" flag into the session: its cookie was then
    # signed and sent again with the claim page and each status page. The proxy is loaded
    # only where a page asks for it (the staff's navigation).
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    login_manager.login_view = "clerk.login"

    if settings.embedded_redis:
        started: list[bool] = []

        @app.before_request
        def _embedded_redis_up() -> None:
            # The rate limiter needs Redis before any view runs; once per process.
            if not started:
                runtime.ensure_redis()
                started.append(True)


def runtime() -> Runtime:
    value: Runtime = current_app.extensions["effortless"]
    return value
