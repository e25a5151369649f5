"""Errors answer in the asker's terms: JSON under /api/, a page elsewhere; never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    TooManyRequests,
)

from common.log_redaction import WithoutTokens

log = logging.getLogger(__name__)
# The path of a status link or an invitation carries its token; so may an exception's text.
log.addFilter(WithoutTokens())

# The page's heading and, where the code gave no reason of its own, its message, in the
# reader's language: werkzeug's names and descriptions are English ("Not Found").
HEADINGS = {
    400: _l("The request could not be read"), 401: _l("Please sign in"),
    403: _l("Not allowed"), 404: _l("Page not found"), 405: _l("Not possible here"),
    410: _l("No longer available"), 413: _l("File too large"),
    422: _l("The request could not be read"), 429: _l("Too many attempts"),
    500: _l("Something went wrong"), 503: _l("Briefly unavailable"),
}
MESSAGES = {
    400: _l("The form or address was not as expected. Please go back and try again."),
    401: _l("This page is for signed-in staff."),
    403: _l("Your account may not open this page."),
    404: _l("There is no page at this address. Please check it, or start again from the "
            "start page."),
    405: _l("This page cannot be used this way. Please start again from the start page."),
    410: _l("This page is no longer available."),
    429: _l("Too many attempts in a short time. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
    503: _l("The service is briefly unavailable. Please try again in a moment."),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    # What the error itself says in headers stays: a 405's Allow, a 429's Retry-After.
    headers = dict(error.get_response().headers)
    headers.pop("Content-Type", None)
    headers.pop("Content-Length", None)
    message = error.description
    # werkzeug's own words (no reason given), or Flask-Limiter's limit ("20 per 1 minute").
    if message == type(error).description or isinstance(error, TooManyRequests):
        message = str(MESSAGES.get(status, message))
    if request.path.startswith("/api/"):
        # The error's name stays as the machine-readable part; the message is for a person.
        if isinstance(error, RequestEntityTooLarge):
            message = _("The request is too large. Nothing was saved.")
        return jsonify({"error": error.name, "message": message}), status, headers
    if isinstance(error, CSRFError):
        message = _("The form had expired. Please send it again.")
    if isinstance(error, RequestEntityTooLarge):
        message = _("The file is too large: at most 5 MB, please. Nothing was saved; "
                    "go back and choose a smaller file.")
    return render_template("error.html", status=status,
                           title=str(HEADINGS.get(status, error.name)),
                           message=message), status, headers


def unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return http_error(InternalServerError())
