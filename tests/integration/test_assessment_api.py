"""POST /api/v1/assessments exactly per the contract of rules.md."""

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.api.openapi import document

CONTRACT_EXAMPLE = {
    "regime": "eu-rail", "scheduled_arrival": "2026-03-02T11:44:00+01:00",
    "actual_arrival": "2026-03-02T12:49:00+01:00",
    "fare": {"amount": "39.90", "currency": "EUR", "kind": "single"},
}


def test_the_contract_example(client: FlaskClient) -> None:
    response = client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE)
    assert response.status_code == 200
    assert response.json == {
        "eligible": True, "amount": "9.98", "currency": "EUR", "percent": 25,
        "delay_minutes": 65, "rule": "eu-rail.19-1-a",
        "legal_basis": "Regulation (EU) 2021/782, Art. 19(1)(a)",
        "explanation": "Arrived 65 minutes late: 25 % of the 39.90 EUR ticket price."}


def test_ineligible_answers_zero_and_names_the_rule(client: FlaskClient) -> None:
    body = {**CONTRACT_EXAMPLE, "fare": {"amount": "10.00", "currency": "EUR"}}
    response = client.post("/api/v1/assessments", json=body)
    assert response.json["eligible"] is False
    assert (response.json["amount"], response.json["rule"]) == ("0.00", "eu-rail.19-8")
    out_of_scope = client.post("/api/v1/assessments", json={
        "regime": "eu-air", "origin": "LHR", "destination": "JFK", "carrier_eu": True,
        "scheduled_arrival": "2026-03-02T11:44:00-05:00",
        "actual_arrival": "2026-03-02T18:44:00-05:00"})
    assert (out_of_scope.json["rule"], out_of_scope.json["amount"]) == ("eu-air.3", "0.00")
    assert out_of_scope.json["percent"] is None


def test_air_and_uk_through_the_api(client: FlaskClient) -> None:
    air = client.post("/api/v1/assessments", json={
        "regime": "eu-air", "origin": "FRA", "destination": "JFK",
        "scheduled_departure": "2026-07-10T10:00:00+02:00",
        "scheduled_arrival": "2026-07-10T12:45:00-04:00",
        "actual_arrival": "2026-07-10T17:00:00-04:00", "cause": "technical"})
    assert air.json["amount"] == "600.00" and air.json["delay_minutes"] == 255
    uk = client.post("/api/v1/assessments", json={
        "regime": "uk-rail", "scheme": "DR30",
        "scheduled_arrival": "2026-03-02T11:44:00+00:00",
        "actual_arrival": "2026-03-02T12:20:00+00:00",
        "fare": {"amount": "41.00", "currency": "GBP", "kind": "return"}})
    assert (uk.json["amount"], uk.json["percent"], uk.json["currency"]) == ("10.25", 50, "GBP")


def test_the_explanation_follows_accept_language(client: FlaskClient) -> None:
    response = client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE,
                           headers={"Accept-Language": "de"})
    assert response.json["explanation"].startswith("65 Minuten verspätet angekommen")


def test_invalid_input_answers_422_with_every_field_error(client: FlaskClient) -> None:
    response = client.post("/api/v1/assessments", json={
        "regime": "eu-rail", "scheduled_arrival": "2026-03-02T11:44:00",
        "fare": {"amount": 39.9, "currency": "eur"}, "cause": "aliens", "colour": "red",
        "minimum_payout": "5.00"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"scheduled_arrival", "fare.amount", "fare.currency", "cause",
                           "colour", "minimum_payout"}
    assert errors["colour"] == ["unknown field"]


def test_air_needs_known_airports(client: FlaskClient) -> None:
    response = client.post("/api/v1/assessments", json={
        "regime": "eu-air", "origin": "XQX", "scheduled_arrival": "2026-03-02T11:44:00Z",
        "cancelled": True})
    errors = response.json["errors"]
    assert errors["origin"] == ["not a known IATA airport code"]
    assert "destination" in errors and "scheduled_departure" in errors


def test_not_json_is_422_not_500(client: FlaskClient) -> None:
    for body in (b"", b"{", b"\xff", b"[]", b"null", b"1e999999"):
        response = client.post("/api/v1/assessments", data=body,
                               content_type="application/json")
        assert response.status_code == 422, body
        assert "errors" in response.json


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
field_names = st.sampled_from([
    "regime", "scheduled_arrival", "actual_arrival", "cancelled", "cause", "fare",
    "leg_amount", "minimum_payout", "informed_before_purchase", "scheme", "origin",
    "destination", "carrier_eu", "scheduled_departure", "cancellation_notice_days",
    "rerouted_departure", "rerouted_arrival"])
plausible = st.fixed_dictionaries({
    "regime": st.sampled_from(["eu-rail", "eu-air", "uk-rail", "x"]),
    "scheduled_arrival": st.sampled_from(["2026-03-02T11:44:00+01:00", "2026-03-02", "x"]),
}, optional={
    "actual_arrival": st.sampled_from(["2026-03-02T14:44:00+01:00", None, "2020-01-01T00:00Z"]),
    "fare": st.fixed_dictionaries({}, optional={
        "amount": st.sampled_from(["39.90", "0", "-1", "1e3", "abc", "0.001"]) | json_values,
        "currency": st.sampled_from(["EUR", "GBP", "eur"]) | json_values,
        "kind": st.sampled_from(["single", "return", "season", "x"])}) | json_values,
    "origin": st.sampled_from(["FRA", "JFK", "LHR", "fra", ""]) | json_values,
    "destination": st.sampled_from(["FRA", "JFK", "RUN"]) | json_values,
    "cancelled": st.booleans() | json_values,
    "leg_amount": st.sampled_from(["10.00", "100000.00"]) | json_values,
    "cancellation_notice_days": st.integers(-5, 40) | json_values,
    "rerouted_arrival": st.sampled_from(["2026-03-02T13:44:00+01:00"]) | json_values,
    "scheduled_departure": st.sampled_from(["2026-03-02T09:44:00+01:00"]) | json_values,
    "carrier_eu": st.booleans() | json_values,
})


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, plausible,
                      st.dictionaries(field_names, json_values, max_size=8)))
def test_no_body_however_malformed_gets_a_500(client: FlaskClient, body: Any) -> None:
    response = client.post("/api/v1/assessments", data=json.dumps(body),
                           content_type="application/json")
    assert response.status_code in (200, 422), (body, response.get_data(as_text=True))
    if response.status_code == 200:
        assert set(response.json) == {"eligible", "amount", "currency", "percent",
                                      "delay_minutes", "rule", "legal_basis", "explanation"}


def test_rate_limited_per_address(settings_overrides: dict[str, Any]) -> None:
    app = create_app({**settings_overrides, "RATELIMIT_ENABLED": "true"})
    client = app.test_client()
    statuses = [client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE).status_code
                for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    limited = client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE)
    assert limited.is_json
    other = client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE,
                        environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 200
    app.extensions["effortless"].close()


def test_not_limited_when_switched_off(client: FlaskClient) -> None:
    assert all(client.post("/api/v1/assessments", json=CONTRACT_EXAMPLE).status_code == 200
               for _ in range(70))


def test_the_openapi_document_describes_every_api_route(app: Flask,
                                                        client: FlaskClient) -> None:
    served = client.get("/api/v1/openapi.json").json
    assert served == json.loads(json.dumps(document()))
    assert served["openapi"].startswith("3.")
    api_routes = {rule.rule.removeprefix("/api/v1") for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/")}
    assert api_routes == set(served["paths"])
