"""GET /api/v1/openapi.json: the OpenAPI 3 description of the whole JSON API."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from claims.core import wire
from claims.core.rules import airports
from claims.core.rules.request import request_schema
from claims.operators.imports import REJECTED_LISTED
from claims.operators.records import TEXT_LIMIT, booking_schema, operations_schema
from portal.api import blueprint
from portal.api.imports import operator_of_request

_ERRORS = {"type": "object", "required": ["errors"], "properties": {"errors": {
    "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
_IMPORT_REPORT = {
    "type": "object",
    "required": ["created", "replaced", "rejected_count", "rejected_listed_at_most",
                 "rejected"],
    "properties": {
        "created": {"type": "integer", "minimum": 0},
        "replaced": {"type": "integer", "minimum": 0},
        "rejected_count": {"type": "integer", "minimum": 0,
                           "description": "how many records were rejected in all"},
        "rejected_listed_at_most": {"type": "integer", "enum": [REJECTED_LISTED],
                                    "description": "how many of them `rejected` lists at "
                                                   "most: the first, by line"},
        "rejected": {"type": "array", "maxItems": REJECTED_LISTED, "items": {
            "type": "object", "required": ["line", "reason"], "properties": {
                "line": {"type": "integer"}, "reason": {"type": "string"}}}},
        "message": {"type": "string",
                    "description": "what the counts mean, in the language of "
                                   "Accept-Language (en, de); when any record was rejected"}}}
_ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string"}, "message": {"type": "string"}}}
_JSON_ERROR = {"application/json": {"schema": _ERROR}}
_FEEDBACK_REPORT = {"type": "object", "required": ["confirmed", "returned", "unchanged",
                                                   "problems"], "properties": {
    "confirmed": {"type": "integer"}, "returned": {"type": "integer"},
    "unchanged": {"type": "integer"},
    "problems": {"type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer"}, "problem": {"type": "string"}}}}}}


def _import_operation(what: str, record: str) -> dict[str, Any]:
    return {
        "summary": f"Import {what} (idempotent; a record with the same key replaces the "
                   "earlier one)",
        "description": "A JSON array of records. The same records as JSON Lines (one a line) "
                       "are taken too, sent as application/x-ndjson. The body is read as it "
                       "arrives, up to 128 MB, a record at most 1 MB. Each record is checked "
                       "on its own: the valid ones are imported, the others rejected by "
                       "line (JSON Lines) or place in the array (from 1), counted, and the "
                       f"first {REJECTED_LISTED} listed with their reasons. An array whose "
                       "syntax breaks is read up to that place, which is the last rejected.",
        "security": [{"operatorKey": []}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "array", "items": {
                "$ref": f"#/components/schemas/{record}"}}}}},
        "responses": {
            "200": {"description": "every record imported",
                    "content": {"application/json": {"schema": _IMPORT_REPORT}}},
            "422": {"description": "some records rejected (the others were imported)",
                    "content": {"application/json": {"schema": _IMPORT_REPORT}}},
            "400": {"description": "empty or undecodable body", "content": _JSON_ERROR},
            "401": {"description": "missing or unknown API key", "content": _JSON_ERROR},
            "413": {"description": "more than 128 MB", "content": _JSON_ERROR},
        },
    }


def document(operator: str | None = None) -> dict[str, Any]:
    """The document, built from the validators' own field lists. Fetched with an operator's
    key, the records' `operator` is that operator's, the only one the key may send."""
    operator_schema: dict[str, Any] = (
        {"type": "string", "enum": [operator]} if operator else
        {**wire.text_schema(TEXT_LIMIT),
         "description": "the slug of the operator whose API key sends the record"})
    return {
        "openapi": "3.0.3",
        "info": {"title": "Effortless API", "version": "1",
                 "description": "Delay compensation assessments, operator data imports and "
                                "the bank's feedback on payouts."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"operatorKey": {
                "type": "http", "scheme": "bearer",
                "description": "The key printed by `flask --app wsgi operators create`."}},
            "schemas": {
                "Airport": {"type": "string", "enum": airports.codes(),
                            "description": "an IATA airport code"},
                "AssessmentRequest": request_schema(
                    {"$ref": "#/components/schemas/Airport"}),
                "Booking": booking_schema(operator_schema),
                "OperationsRecord": operations_schema(operator_schema),
            }},
        "paths": {
            "/assessments": {"post": {
                "summary": "Assess one journey against EU rail, EU air or UK rail rules",
                "description": "Public and rate-limited per IP; stores nothing. The "
                               "explanation follows Accept-Language (en, de).",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AssessmentRequest"}}}},
                "responses": {
                    "200": {"description": "the assessment", "content": {"application/json": {
                        "schema": {"type": "object", "required": [
                            "eligible", "amount", "currency", "rule", "legal_basis",
                            "explanation"], "properties": {
                            "eligible": {"type": "boolean"}, "amount": wire.amount_schema(),
                            "currency": {"type": "string", "nullable": True},
                            "percent": {"type": "integer", "nullable": True},
                            "delay_minutes": {"type": "integer", "nullable": True},
                            "rule": {"type": "string"}, "legal_basis": {"type": "string"},
                            "explanation": {"type": "string"}}}}}},
                    "422": {"description": "invalid input, by field",
                            "content": {"application/json": {"schema": _ERRORS}}},
                    "429": {"description": "too many requests from this address",
                            "content": _JSON_ERROR},
                },
            }},
            "/bookings": {"post": _import_operation("bookings", "Booking")},
            "/operations": {"post": _import_operation("operations records",
                                                      "OperationsRecord")},
            "/bank-feedback": {"post": {
                "summary": "Import the bank's feedback on this operator's transfers",
                "description": "The bank's file as it came: a payment status report "
                               "(pain.002.001.03) or a debit/credit notification "
                               "(camt.054.001.02 or .08), valid against its ISO 20022 "
                               "schema, without a DOCTYPE. Applied whole (importing it again "
                               "changes nothing); a transfer that is not this operator's is "
                               "reported and the rest applied.",
                "security": [{"operatorKey": []}],
                # The file's bytes as the bank sent them, whatever their encoding.
                "requestBody": {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "200": {"description": "every transfer applied",
                            "content": {"application/json": {"schema": _FEEDBACK_REPORT}}},
                    "422": {"description": "transfers not this operator's (the others were "
                                           "applied), or not a bank file we can read "
                                           "(nothing applied)",
                            "content": {"application/json": {"schema": {"oneOf": [
                                _FEEDBACK_REPORT, _ERROR]}}}},
                    "400": {"description": "empty body", "content": _JSON_ERROR},
                    "401": {"description": "missing or unknown API key", "content": _JSON_ERROR},
                    "413": {"description": "more than 32 MB", "content": _JSON_ERROR},
                },
            }},
            "/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3", "content": {
                    "application/json": {"schema": {"type": "object"}}}}}}},
        },
    }


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document(operator_of_request()))
