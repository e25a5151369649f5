"""The Flask portal: app factory, one blueprint per audience."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from common.settings import PROJECT_ROOT, load_settings


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    from portal import (
        auth,
        cli,
        errors,
        extensions,
        operations,
        security,
        signed_tokens,
        templating,
    )
    from portal.api import blueprint as api
    from portal.clerk import blueprint as clerk
    from portal.health import blueprint as health
    from portal.passenger import blueprint as passenger
    from portal.reports import blueprint as reports
    from workflows import runtime

    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(settings.instance_path),
                template_folder=str(PROJECT_ROOT / "templates"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.environment == "testing",
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies)
    extensions.init_app(app, settings, runtime.install(runtime.build(settings)))
    security.init_app(app, settings)
    signed_tokens.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health)
    app.register_blueprint(passenger)
    app.register_blueprint(clerk, url_prefix="/clerk")
    app.register_blueprint(reports, url_prefix="/reports")
    app.register_blueprint(api, url_prefix="/api/v1")
    operations.init_app(app, settings.metrics_token)
    return app
