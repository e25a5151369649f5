"""POST /api/v1/assessments: public, rate-limited, stores nothing (rules.md)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from claims.core import wire
from claims.core.rules.engine import assess
from claims.core.rules.request import InvalidRequest, parse_request
from claims.core.rules.result import Assessment, format_amount
from portal.api import blueprint
from portal.api.problems import all_in_words, in_words
from portal.extensions import csrf, limiter

ASSESSMENT_LIMIT = "60 per minute; 1000 per hour"


def assessment_json(result: Assessment, language: str) -> dict[str, Any]:
    return {
        "eligible": result.eligible,
        "amount": format_amount(result.amount),
        "currency": result.currency,
        "percent": result.percent,
        "delay_minutes": result.delay_minutes,
        "rule": result.rule,
        "legal_basis": result.legal_basis,
        "explanation": result.explanation(language),
    }


@blueprint.post("/assessments")
@csrf.exempt
@limiter.limit(ASSESSMENT_LIMIT)
def assessments() -> tuple[Response, int]:
    try:
        body = wire.load_json(request.get_data(cache=False) or b"null")
    except wire.NotJson as error:
        return jsonify({"errors": {"body": [in_words(error.reason)]}}), 422
    try:
        journey = parse_request(body)
    except InvalidRequest as invalid:
        return jsonify({"errors": all_in_words(invalid.errors)}), 422
    language = str(get_locale())
    return jsonify(assessment_json(assess(journey), language)), 200
