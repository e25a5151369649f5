"""Flask-Babel's message domain, its translations looked up once per request and locale.

Every text a page shows (a template's `_()`, a form's lazy label, a flashed message) asks
Flask-Babel for the request's translations anew: the locale from the request's context,
its name written out again, a cache keyed on that name. On the claim page that was 4 to
5 % of the web workers' time holding the GIL (py-spy --gil under bench/submit_claims.py's
load), for the 40 texts that page translates; the look-up of a text in the catalog was
0.3 %. The translations are kept in `flask.g` (the request's app context) by the locale
Flask-Babel names (`get_locale`): a mail written in the passenger's language inside a
request (`force_locale`) gets that language's, and the page's stay as they were. Only
Flask's and Flask-Babel's public API is used."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import Babel, Domain, get_locale


class RequestDomain(Domain):
    def get_translations(self) -> Any:
        if not has_app_context():
            return super().get_translations()
        locale = get_locale()
        kept: dict[Any, Any] = g.setdefault("translations_by_locale", {})
        translations = kept.get(locale)
        if translations is None:
            translations = kept[locale] = super().get_translations()
        return translations


def install(app: Flask, babel: Babel) -> None:
    """After `babel.init_app(app)`: the default domain, as Flask-Babel would make it."""
    babel.domain_instance = RequestDomain(
        domain=app.extensions["babel"].default_domain)
