"""GET /api/v1/openapi.json: the OpenAPI 3 description of the whole JSON API."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from claims.core.rules.causes import CAUSES
from claims.core.vocabulary import REGIMES
from portal.api import blueprint

_INSTANT = {"type": "string", "format": "date-time",
            "description": "ISO 8601 with its UTC offset"}
_DECIMAL = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "39.90"}
_ERRORS = {"type": "object", "required": ["errors"], "properties": {"errors": {
    "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
_IMPORT_REPORT = {"type": "object", "properties": {
    "created": {"type": "integer"}, "replaced": {"type": "integer"},
    "rejected": {"type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer"}, "reason": {"type": "string"}}}}}}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"},
                                           "message": {"type": "string"}}}


def _import_operation(what: str) -> dict[str, Any]:
    return {
        "summary": f"Import {what} (idempotent; a record with the same key replaces the "
                   "earlier one)",
        "security": [{"operatorKey": []}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}}}},
        "responses": {
            "200": {"description": "every record imported",
                    "content": {"application/json": {"schema": _IMPORT_REPORT}}},
            "422": {"description": "some records rejected (the others were imported)",
                    "content": {"application/json": {"schema": _IMPORT_REPORT}}},
            "400": {"description": "empty or undecodable body",
                    "content": {"application/json": {"schema": _ERROR}}},
            "401": {"description": "missing or unknown API key",
                    "content": {"application/json": {"schema": _ERROR}}},
        },
    }


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Effortless API", "version": "1",
             "description": "Delay compensation assessments and operator data imports."},
    "servers": [{"url": "/api/v1"}],
    "components": {"securitySchemes": {"operatorKey": {
        "type": "http", "scheme": "bearer",
        "description": "The key printed by `flask --app wsgi operators create`."}}},
    "paths": {
        "/assessments": {"post": {
            "summary": "Assess one journey against EU rail, EU air or UK rail rules",
            "description": "Public and rate-limited per IP; stores nothing. The explanation "
                           "follows Accept-Language (en, de).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "required": ["regime", "scheduled_arrival"],
                "properties": {
                    "regime": {"type": "string", "enum": list(REGIMES)},
                    "scheduled_arrival": _INSTANT,
                    "actual_arrival": {**_INSTANT, "nullable": True},
                    "cancelled": {"type": "boolean", "default": False},
                    "cause": {"type": "string", "enum": sorted(CAUSES), "default": "unknown"},
                    "fare": {"type": "object", "additionalProperties": False,
                             "required": ["amount", "currency"], "properties": {
                                 "amount": _DECIMAL,
                                 "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                 "kind": {"type": "string", "default": "single",
                                          "enum": ["single", "return", "season"]}}},
                    "leg_amount": _DECIMAL,
                    "minimum_payout": {**_DECIMAL, "default": "4.00"},
                    "informed_before_purchase": {"type": "boolean", "default": False},
                    "scheme": {"type": "string", "enum": ["DR15", "DR30"], "default": "DR15"},
                    "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "carrier_eu": {"type": "boolean"},
                    "scheduled_departure": _INSTANT,
                    "cancellation_notice_days": {"type": "integer", "minimum": 0},
                    "rerouted_departure": _INSTANT,
                    "rerouted_arrival": _INSTANT,
                }}}}},
            "responses": {
                "200": {"description": "the assessment", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "eligible": {"type": "boolean"}, "amount": _DECIMAL,
                        "currency": {"type": "string"},
                        "percent": {"type": "integer", "nullable": True},
                        "delay_minutes": {"type": "integer", "nullable": True},
                        "rule": {"type": "string"}, "legal_basis": {"type": "string"},
                        "explanation": {"type": "string"}}}}}},
                "422": {"description": "invalid input, by field",
                        "content": {"application/json": {"schema": _ERRORS}}},
                "429": {"description": "too many requests from this address",
                        "content": {"application/json": {"schema": _ERROR}}},
            },
        }},
        "/bookings": {"post": _import_operation("bookings")},
        "/operations": {"post": _import_operation("operations records")},
        "/openapi.json": {"get": {"summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3"}}}},
    },
}


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)
