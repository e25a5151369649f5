"""Flask-Babel's message domain, its translations looked up once per request.

Every text a page shows (a template's `_()`, a form's lazy label, a flashed message) asks
Flask-Babel for the request's translations anew: the locale from the request's context,
its name written out again, a cache keyed on that name. On the claim page that was 4 to
5 % of the web workers' time holding the GIL (py-spy --gil under bench/submit_claims.py's
load), for the 40 texts that page translates; the look-up of a text in the catalog was
0.3 %. The translations are kept where Flask-Babel itself keeps the request's
(`babel_translations`), which `force_locale` (a mail in the passenger's language) and
`refresh` set aside and put back."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel, Domain
from flask_babel import _get_current_context as babel_context


class RequestDomain(Domain):
    def get_translations(self) -> Any:
        context = babel_context()
        if context is None:
            return super().get_translations()
        translations = getattr(context, "babel_translations", None)
        if translations is None:
            translations = context.babel_translations = super().get_translations()
        return translations


def install(app: Flask, babel: Babel) -> None:
    """After `babel.init_app(app)`: the default domain, as Flask-Babel would make it."""
    babel.domain_instance = RequestDomain(
        domain=app.extensions["babel"].default_domain)
