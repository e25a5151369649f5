"""The start page is rendered once per language and served with each visitor's own CSRF
token (portal/passenger/start_page.py): what a visitor reads is what a fresh render
would show them, and their token is theirs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, template_rendered

from tests.helpers import create_operator, csrf_token, load
from tests.records import rail_booking


@pytest.fixture
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def note(_app: Flask, template: Any, **_extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(note, app)
    yield names
    template_rendered.disconnect(note, app)


def _tokens_differ_only(first: str, second: str) -> bool:
    one, two = csrf_token(first), csrf_token(second)
    return one != two and first.replace(one, "") == second.replace(two, "")


def test_each_visitor_gets_the_page_once_rendered_with_a_token_of_their_own(
        app: Flask, rendered: list[str]) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Hans Müller"})])
    first, second = app.test_client(), app.test_client()
    page_one = first.get("/").get_data(as_text=True)
    page_two = second.get("/").get_data(as_text=True)
    assert rendered == ["passenger/start.html"]  # the second visitor's page was not rendered
    assert _tokens_differ_only(page_one, page_two)
    # Each token is its visitor's: the look-up goes through with one's own, not another's.
    stolen = second.post("/", data={"csrf_token": csrf_token(page_one),
                                    "reference": "Q7K2LM", "surname": "Müller"})
    assert stolen.status_code == 400
    own = second.post("/", data={"csrf_token": csrf_token(page_two),
                                 "reference": "Q7K2LM", "surname": "Müller"})
    assert own.status_code == 302 and own.location.endswith("/claim")


def test_each_language_has_its_own_page(app: Flask, rendered: list[str]) -> None:
    english = app.test_client().get("/").get_data(as_text=True)
    german_visitor = app.test_client()
    with german_visitor.session_transaction() as session:
        session["lang"] = "de"
    german = german_visitor.get("/").get_data(as_text=True)
    again = german_visitor.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Find my booking" in english
    assert 'lang="de"' in german and "Find my booking" not in german
    assert rendered == ["passenger/start.html"] * 2
    assert csrf_token(german) == csrf_token(again)  # one visitor keeps one token
    assert german == again


def test_a_page_with_something_of_the_visitors_own_is_rendered_for_them(
        app: Flask, rendered: list[str]) -> None:
    visitor = app.test_client()
    visitor.get("/")
    with visitor.session_transaction() as session:
        session["_flashes"] = [("message", "Signed out.")]
    assert "Signed out." in visitor.get("/").get_data(as_text=True)
    # The language links carry the page's query string along.
    page = visitor.get("/?from=mail").get_data(as_text=True)
    assert "from%3Dmail" in page
    assert rendered == ["passenger/start.html"] * 3
