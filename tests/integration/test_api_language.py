"""The JSON API refuses in the caller's language (issue 43): the assessment API's errors by
field and the import API's rejected lines, in German or English as Accept-Language (or
?lang=) asks, through the portal's locale selector and catalog; fields and values stay as
sent."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import create_operator
from tests.records import arrival, rail_booking
from tools.bank_files import payment_status_report

BAD_ASSESSMENT = {
    "regime": "eu-rail", "scheduled_arrival": "2026-03-02T11:44:00",
    "fare": {"amount": "39.999", "currency": "eur"}, "colour": "red",
    "cancellation_notice_days": 10**40, "minimum_payout": "5.00"}


def _assess(client: FlaskClient, body: object, language: str, query: str = "") -> dict:
    response = client.post(f"/api/v1/assessments{query}", data=json.dumps(body),
                           content_type="application/json",
                           headers={"Accept-Language": language})
    assert response.status_code == 422
    return response.json["errors"]


def test_assessment_errors_are_in_the_callers_language(client: FlaskClient) -> None:
    english = _assess(client, BAD_ASSESSMENT, "en")
    german = _assess(client, BAD_ASSESSMENT, "de-DE,de;q=0.9,en;q=0.5")
    assert set(german) == set(english) == {
        "scheduled_arrival", "fare.amount", "fare.currency", "colour",
        "cancellation_notice_days", "minimum_payout"}
    assert english["fare.amount"] == ["at most two decimals"]
    assert german["fare.amount"] == ["höchstens zwei Nachkommastellen"]
    assert german["colour"] == ["unbekanntes Feld"]
    assert german["fare.currency"] == ["ein ISO-4217-Code wie EUR"]
    assert german["scheduled_arrival"][0].startswith("eine Zeit nach ISO 8601")
    for field in english:  # every message said, none left in English
        assert german[field] != english[field], field
    # The portal's own choice of language wins over the header, as on its pages.
    assert _assess(client, BAD_ASSESSMENT, "en", "?lang=de") == german


def test_assessment_body_problems_are_in_the_callers_language(client: FlaskClient) -> None:
    for body, german in ((b"{", "kein gültiges JSON in Zeile 1, Spalte 2"),
                         (b"[" * 100_000, "kein gültiges JSON: zu tief verschachtelt"),
                         (b"9" * 5000, "kein gültiges JSON: eine Zahl mit zu vielen Ziffern"),
                         (b"NaN", "kein gültiges JSON: NaN ist kein JSON-Wert"),
                         (b"[]", "ein JSON-Objekt ist erforderlich")):
        response = client.post("/api/v1/assessments", data=body,
                               content_type="application/json",
                               headers={"Accept-Language": "de"})
        assert response.status_code == 422, body[:10]
        assert response.json["errors"]["body"][0].startswith(german), response.json


def test_import_rejections_are_in_the_callers_language(app: Flask,
                                                       client: FlaskClient) -> None:
    key = create_operator(app)
    create_operator(app, "other-rail")
    long_name = rail_booking("LANG02")
    long_name["passenger"]["name"] = "Anna " + "x" * 300
    bad_amount = rail_booking("LANG03")
    bad_amount["fare"]["amount"] = "1e999"
    body = "\n".join([json.dumps(rail_booking("LANG01")), json.dumps(long_name),
                      json.dumps(bad_amount), "{", json.dumps(rail_booking(
                          "LANG04", operator="other-rail"))])
    answers = {}
    for language in ("en", "de"):
        response = client.post("/api/v1/bookings", data=body,
                               headers={"Authorization": f"Bearer {key}",
                                        "Accept-Language": language})
        assert response.status_code == 422
        answers[language] = {r["line"]: r["reason"] for r in response.json["rejected"]}
    english, german = answers["en"], answers["de"]
    assert set(english) == set(german) == {2, 3, 4, 5}
    assert german[2].startswith("passenger.name: länger als ")
    assert german[3] == "fare.amount: höchstens 999999999.99"
    assert german[4].startswith("kein gültiges JSON in Zeile 1, Spalte 2")
    assert german[5] == "operator: 'other-rail' ist nicht der Betreiber dieses API-Schlüssels"
    assert english[5] == "operator: 'other-rail' is not the operator of this API key"
    # The valid line was imported (then replaced by the same line in the second call).
    assert response.json["replaced"] == 1


def test_import_refusals_of_the_whole_request_are_in_the_callers_language(
        app: Flask, client: FlaskClient) -> None:
    key = create_operator(app)
    wrong = client.post("/api/v1/operations", data=json.dumps([arrival()]),
                        headers={"Authorization": "Bearer eff_wrong", "Accept-Language": "de"})
    assert wrong.status_code == 401
    assert wrong.json["message"] == "Dieser API-Schlüssel ist nicht gültig."
    empty = client.post("/api/v1/operations", data=b"  ",
                        headers={"Authorization": f"Bearer {key}", "Accept-Language": "de"})
    assert empty.status_code == 400
    assert empty.json["message"].startswith("Der Inhalt ist leer")


def test_the_apis_other_refusals_are_in_the_callers_language(client: FlaskClient) -> None:
    """No reason of the code's own: werkzeug's English words are replaced, as on pages."""
    german = {"Accept-Language": "de"}
    missing = client.get("/api/v1/nothing-here", headers=german)
    assert missing.status_code == 404
    assert missing.json["message"].startswith("Unter dieser Adresse")
    wrong_method = client.get("/api/v1/assessments", headers=german)
    assert wrong_method.status_code == 405
    assert "Not Found" not in wrong_method.json["message"]
    assert wrong_method.json["message"] != client.get("/api/v1/assessments").json["message"]
    too_large = client.post("/api/v1/assessments", data=b" " * (7 * 1024 * 1024),
                            content_type="application/json", headers=german)
    assert too_large.status_code == 413
    assert too_large.json["message"] == "Die Anfrage ist zu groß. Es wurde nichts gespeichert."


def test_bank_feedback_problems_are_in_the_callers_language(app: Flask,
                                                           client: FlaskClient) -> None:
    key = create_operator(app)
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "de"}
    unknown = client.post("/api/v1/bank-feedback", headers=headers, data=payment_status_report(
        [("EFF-CLAIM-999", "RJCT", "AC04")]))
    assert unknown.status_code == 422
    assert unknown.json["problems"] == [{
        "line": 6,
        "problem": "keine Überweisung dieses Betreibers hat die End-to-End-ID 'EFF-CLAIM-999'"}]
    for body, german in ((b"<not-closed", "kein wohlgeformtes XML: "),
                         (b"", "die Datei ist leer"),
                         (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
                          b"<CstmrPmtStsRpt/></Document>", "kein gültiges pain.002.001.03: ")):
        refused = client.post("/api/v1/bank-feedback", headers=headers, data=body)
        if body:
            assert refused.status_code == 422
            assert refused.json["message"].startswith(
                f"Keine Bankdatei, die wir lesen können: {german}"), refused.json
        else:  # an empty body is refused before it is read
            assert refused.status_code == 400
            assert refused.json["message"].startswith("Der Inhalt ist leer: Senden Sie die "
                                                      "pain.002- oder camt.054-Datei")
