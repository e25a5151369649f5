"""POST /api/v1/bookings and /api/v1/operations: the operator's own data, by API key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, request
from werkzeug.wrappers import Response

from claims.operators import accounts
from claims.operators.imports import ImportReport, import_bookings, import_operations, json_body
from portal.api import blueprint
from portal.extensions import csrf, runtime
from workflows.pipeline import start_proactive_checks

Importer = Callable[..., ImportReport]
# Bookings arrive in bulk: 100,000 of them are about 60 MB. Only these two routes take
# more than the pages' 6 MB, and only from an operator whose key is valid.
IMPORT_LIMIT = 128 * 1024 * 1024


def operator_of_request() -> str | None:
    """The operator whose valid API key the request carries, or None."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return accounts.operator_for_api_key(runtime().session_factory, key.strip())


def _authenticated_operator() -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        abort(401, "Send the operator's API key as 'Authorization: Bearer <key>'.")
    slug = operator_of_request()
    if slug is None:
        abort(401, "This API key is not valid.")
    return slug


def _import(importer: Importer) -> tuple[Response, int]:
    operator = _authenticated_operator()
    request.max_content_length = IMPORT_LIMIT
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "The body must be UTF-8 encoded JSON or JSON Lines.")
    if not text.strip():
        abort(400, "The body is empty: send a JSON array or JSON Lines.")
    report = importer(runtime().session_factory, json_body(text), only_operator=operator)
    body: dict[str, Any] = report.as_dict()
    # Valid records are imported even when others are rejected; 422 says "not all of it".
    return jsonify(body), 422 if report.rejected else 200


@blueprint.post("/bookings")
@csrf.exempt
def bookings() -> tuple[Response, int]:
    return _import(import_bookings)


@blueprint.post("/operations")
@csrf.exempt
def operations() -> tuple[Response, int]:
    answer = _import(import_operations)
    # Committed: the journeys these records touch are checked for proactive compensation.
    current = runtime()
    start_proactive_checks(current.redis, current.settings.rq_worker_count)
    return answer
