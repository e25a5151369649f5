"""One booking reference at several operators: the look-up never shows another
operator's passenger. Where the surname does not settle which booking is meant, the
passenger is asked which company, by name only; the form then goes on with the chosen
one. Never the lowest id."""

from __future__ import annotations

import itertools
import re

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from claims.core.vocabulary import EventKind
from claims.db.models import ClaimEvent
from tests.helpers import create_operator, csrf_token, load
from tests.records import rail_booking

OPERATORS = {"alpha-rail": "Alpha Rail", "beta-rail": "Beta Rail", "gamma-rail": "Gamma Rail"}
FIRST_NAMES = {"alpha-rail": "Anna", "beta-rail": "Berta", "gamma-rail": "Gerda"}
ACTION = re.compile(r'<form method="post" action="([^"]*)"')


def _operators(app: Flask) -> None:
    for slug in OPERATORS:
        create_operator(app, slug)


def _booking(reference: str, slug: str, surname: str) -> dict[str, object]:
    first = FIRST_NAMES[slug]
    return rail_booking(reference, operator=slug, passenger={
        "name": f"{first} {surname}", "email": f"{first.lower()}@{slug}.example"},
        payment={"iban": "DE02120300000000202051", "holder": f"{first} {surname}"})


def _post(client: FlaskClient, path: str, **fields: str) -> tuple[int, str, str | None]:
    token = csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **fields})
    return response.status_code, response.get_data(as_text=True), response.location


def _claim_page(client: FlaskClient) -> str:
    return client.get("/claim").get_data(as_text=True)


def _no_passenger_on(page: str) -> None:
    """Nothing of any passenger: no first name, no address."""
    for slug, first in FIRST_NAMES.items():
        assert first not in page and f"@{slug}.example" not in page, first


def _found_events(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(ClaimEvent).where(
            ClaimEvent.kind == EventKind.BOOKING_FOUND)) or 0)


def test_same_reference_and_surname_asks_which_company_and_goes_on_with_the_chosen(
        app: Flask) -> None:
    _operators(app)
    load(app, [_booking("SHARED1", "alpha-rail", "Weber"),
               _booking("SHARED1", "beta-rail", "Weber")])
    for slug, other in (("beta-rail", "alpha-rail"), ("alpha-rail", "beta-rail")):
        client = app.test_client()
        status, page, _location = _post(client, "/", reference="shared-1", surname="Weber")
        assert status == 200
        # The operators' names to choose from, as radio buttons; nobody's details.
        assert "Which company is your booking with?" in page
        for choice in ("alpha-rail", "beta-rail"):
            assert f'type="radio" value="{choice}"' in page
            assert OPERATORS[choice] in page
        assert "gamma-rail" not in page
        _no_passenger_on(page)
        assert ACTION.findall(page) == ["/"]  # the choice posts back to the look-up
        # Nothing chosen yet: no session, no booking.
        assert client.get("/claim").status_code == 302
        # The reference and surname stay in the form, with the choice.
        assert 'value="shared-1"' in page and 'value="Weber"' in page
        status, _page, location = _post(client, "/", reference="shared-1", surname="Weber",
                                        operator=slug, operator_asked="1")
        assert status == 302 and location.endswith("/claim")
        claim = _claim_page(client)
        assert f"{FIRST_NAMES[slug]} Weber" in claim and f"@{slug}.example" in claim
        assert FIRST_NAMES[other] not in claim and f"@{other}.example" not in claim
        assert OPERATORS[slug] in claim
    # An event for each booking found, none for the question.
    assert _found_events(app) == 2


def test_the_question_is_asked_again_when_nothing_is_chosen_in_german_too(app: Flask) -> None:
    _operators(app)
    load(app, [_booking("SHARED2", "alpha-rail", "Weber"),
               _booking("SHARED2", "beta-rail", "Weber")])
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "de"
    status, page, _location = _post(client, "/", reference="SHARED2", surname="Weber",
                                    operator_asked="1")
    assert status == 200
    assert "Bei welchem Unternehmen haben Sie gebucht?" in page
    assert "Wählen Sie das Unternehmen, bei dem Sie gebucht haben." in page
    assert "Which company" not in page
    _no_passenger_on(page)
    # A company that is not among them (an altered page) finds nothing.
    status, page, _location = _post(client, "/", reference="SHARED2", surname="Weber",
                                    operator="gamma-rail", operator_asked="1")
    assert status == 404
    _no_passenger_on(page)
    assert _found_events(app) == 0


def test_same_reference_with_different_surnames_goes_straight_to_each_booking(
        app: Flask) -> None:
    _operators(app)
    load(app, [_booking("SHARED3", "alpha-rail", "Weber"),
               _booking("SHARED3", "beta-rail", "Schulz")])
    for surname, slug in (("Schulz", "beta-rail"), ("Weber", "alpha-rail")):
        client = app.test_client()
        status, _page, location = _post(client, "/", reference="SHARED3", surname=surname)
        assert status == 302 and location.endswith("/claim"), surname
        claim = _claim_page(client)
        assert f"{FIRST_NAMES[slug]} {surname}" in claim
        other = "alpha-rail" if slug == "beta-rail" else "beta-rail"
        assert FIRST_NAMES[other] not in claim and f"@{other}.example" not in claim


def test_the_look_up_form_posts_back_to_itself_after_each_answer(app: Flask) -> None:
    _operators(app)
    load(app, [_booking("SHARED4", "alpha-rail", "Weber"),
               _booking("SHARED4", "beta-rail", "Weber")])
    client = app.test_client()
    for path in ("/", "/new-link"):
        for fields, expected in (({"reference": "SHARED4", "surname": ""}, 422),
                                 ({"reference": "NOSUCH9", "surname": "Weber"},
                                  404 if path == "/" else 200),
                                 ({"reference": "SHARED4", "surname": "Weber"}, 200)):
            status, page, _location = _post(client, path, **fields)
            assert status == expected, (path, fields)
            if 'name="reference"' in page:
                assert ACTION.findall(page) == [path], (path, fields)
            _no_passenger_on(page)


def test_a_new_link_for_a_shared_reference_asks_which_company(app: Flask) -> None:
    _operators(app)
    load(app, [_booking("SHARED5", "alpha-rail", "Weber"),
               _booking("SHARED5", "beta-rail", "Weber")])
    client = app.test_client()
    status, page, _location = _post(client, "/new-link", reference="SHARED5", surname="Weber")
    assert status == 200 and "Which company is your booking with?" in page
    assert 'type="radio" value="beta-rail"' in page
    _no_passenger_on(page)
    status, page, _location = _post(client, "/new-link", reference="SHARED5", surname="Weber",
                                    operator="beta-rail", operator_asked="1")
    assert status == 200 and 'id="link-sent"' in page


_references = itertools.count()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(surnames=st.dictionaries(st.sampled_from(sorted(OPERATORS)),
                                st.sampled_from(["Weber", "Schulz", "Meyer"]),
                                min_size=1, max_size=3))
def test_a_look_up_never_shows_another_operators_passenger(
        app: Flask, surnames: dict[str, str]) -> None:
    """Any operators sharing a reference, with any surnames: each passenger reaches her
    own booking, straight where her surname is hers alone, by choosing her company among
    exactly those whose booking has her surname otherwise."""
    if "shared_operators" not in app.extensions:  # once for all examples
        _operators(app)
        app.extensions["shared_operators"] = True
    reference = f"PROP{next(_references)}"
    load(app, [_booking(reference, slug, surname) for slug, surname in surnames.items()])
    for slug, surname in surnames.items():
        same = sorted(s for s, name in surnames.items() if name == surname)
        client = app.test_client()
        status, page, _location = _post(client, "/", reference=reference, surname=surname)
        if len(same) > 1:
            assert status == 200
            assert re.findall(r'type="radio" value="([^"]+)"', page) == same
            _no_passenger_on(page)
            status, page, _location = _post(client, "/", reference=reference,
                                            surname=surname, operator=slug,
                                            operator_asked="1")
        assert status == 302
        claim = _claim_page(client)
        assert f"{FIRST_NAMES[slug]} {surname}" in claim
        for other in FIRST_NAMES.keys() - {slug}:
            assert FIRST_NAMES[other] not in claim and f"@{other}.example" not in claim


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.one_of(st.text(max_size=60), st.just("\x00"), st.just("a" * 5000),
                        st.just("beta-rail\x00"), st.just("ALPHA-RAIL")))
def test_any_choice_sent_is_answered_without_an_error_and_shows_nobody(
        app: Flask, chosen: str) -> None:
    if "shared_operators" not in app.extensions:  # once for all examples
        _operators(app)
        load(app, [_booking("SHARED6", "alpha-rail", "Weber"),
                   _booking("SHARED6", "beta-rail", "Weber")])
        app.extensions["shared_operators"] = True
    client = app.test_client()
    status, page, location = _post(client, "/", reference="SHARED6", surname="Weber",
                                   operator=chosen, operator_asked="1")
    if chosen in OPERATORS:
        assert status == 302 and location.endswith("/claim")
        return
    assert status in (200, 404, 422), status
    _no_passenger_on(page)
    if status == 422:
        assert "Choose one of the companies shown." in page
