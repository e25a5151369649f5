"""POST /api/v1/bookings and /api/v1/operations: the operator's own data, by API key; and
POST /api/v1/bank-feedback: what the bank said about the operator's transfers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, request
from flask_babel import format_decimal, gettext
from werkzeug.wrappers import Response

from claims.core.vocabulary import NoticeKind
from claims.operators import accounts
from claims.operators.imports import ImportReport, import_bookings, import_operations
from claims.operators.record_stream import RecordStream
from claims.processing import bank_feedback
from portal.api import blueprint
from portal.api.problems import in_words
from portal.extensions import csrf, runtime
from workflows.pipeline import notify, start_proactive_checks

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
        abort(401, gettext("Send the operator's API key as 'Authorization: Bearer <key>'."))
    slug = operator_of_request()
    if slug is None:
        abort(401, gettext("This API key is not valid."))
    return slug


def _import(importer: Importer) -> tuple[Response, int]:
    operator = _authenticated_operator()
    # Set before the stream is first touched: it is made with the limit then in force.
    request.max_content_length = IMPORT_LIMIT
    records = RecordStream(request.stream)
    if records.blank:
        abort(400, gettext("The body is empty: send a JSON array or JSON Lines."))
    report = importer(runtime().session_factory, records, only_operator=operator)
    body: dict[str, Any] = report.as_dict()
    for rejected in body["rejected"]:
        rejected["reason"] = in_words(rejected["reason"])
    if report.rejected_count:
        body["message"] = rejected_message(report)
    # Valid records are imported even when others are rejected; 422 says "not all of it".
    return jsonify(body), 422 if report.rejected_count else 200


def rejected_message(report: ImportReport) -> str:
    """What the counts mean, in the caller's language (Accept-Language)."""
    if report.rejected_count > len(report.rejected):
        return gettext("%(count)s records were rejected; the first %(listed)s are listed with "
                 "their reasons. The others were imported.",
                 count=format_decimal(report.rejected_count), listed=len(report.rejected))
    return gettext("Records rejected: %(count)s, each listed with its reason. The others were "
             "imported.", count=format_decimal(report.rejected_count))


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


# A bank's status file for a few thousand transfers is a few megabytes.
BANK_FILE_LIMIT = 32 * 1024 * 1024


@blueprint.post("/bank-feedback")
@csrf.exempt
def bank_feedback_file() -> tuple[Response, int]:
    """A bank's pain.002 or camt.054 file about this operator's transfers: applied whole;
    a line naming no transfer of this operator is reported (422), the rest applied."""
    operator = _authenticated_operator()
    request.max_content_length = BANK_FILE_LIMIT
    data = request.get_data(cache=False)
    if not data.strip():
        abort(400, gettext(
            "The body is empty: send the bank's pain.002 or camt.054 XML file."))
    current = runtime()
    try:
        report = bank_feedback.import_bank_file(current.session_factory, data,
                                                only_operator=operator)
    except bank_feedback.BankFileError as error:
        return jsonify({"error": "unprocessable", "message": gettext(
            "Not a bank file we can read: %(reason)s. Nothing was applied.",
            reason=in_words(error.reason))}), 422
    for claim_id in report.failed_claims:
        notify(current.redis, claim_id, NoticeKind.PAYOUT_FAILED)
    body = report.as_dict()
    for problem in body["problems"]:
        problem["problem"] = in_words(problem["problem"])
    return jsonify(body), 422 if report.problems else 200
