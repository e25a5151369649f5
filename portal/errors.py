"""Errors answer in the asker's terms: JSON under /api/, a page elsewhere; never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    # What the error itself says in headers stays: a 405's Allow, a 429's Retry-After.
    headers = dict(error.get_response().headers)
    headers.pop("Content-Type", None)
    headers.pop("Content-Length", None)
    if request.path.startswith("/api/"):
        return jsonify({"error": error.name, "message": error.description}), status, headers
    message = error.description
    if isinstance(error, CSRFError):
        message = _("The form had expired. Please send it again.")
    if isinstance(error, RequestEntityTooLarge):
        message = _("The file is too large: at most 5 MB, please. Nothing was saved; "
                    "go back and choose a smaller file.")
    return render_template("error.html", status=status, title=error.name,
                           message=message), status, headers


def unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return http_error(InternalServerError())
