"""Every form of every page survives a mistake (issue 44). The crawler (site_crawl) walks
the passenger's, the clerk's and the manager's pages on the demo data, with claims in every
state, and finds the forms in the HTML, so a form added later is covered without a change
here. Each POST form with something to fill in is sent empty and with invalid values, in
German and in English: never a 5xx; the page that answers shows the same form posting to
the SAME address (an action built from request.path posted …/appeal/appeal), keeps what was
typed, links and posts only to addresses that exist, and says what is wrong in the
session's language. Then each form is sent with valid values (VALID, per field name) and
succeeds. The forms that end something (logout, erasure, a cohort's decision, a look-up
that changes the session's booking) are sent last. GET forms (filters) take junk without a
5xx. And the check itself finds a form built from request.path, on a page made so."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from claims.db.models import Booking, Claim
from claims.processing import proactive
from tests.helpers import file_claim, load, look_up, run_worker, sign_in, status_path
from tests.integration.site_crawl import (
    Field,
    Form,
    crawl,
    endpoint_of,
    error_summary,
    forms_on,
    local_path,
    messages_on,
    parse,
)
from tests.records import return_booking
from tools import demo

LANGUAGES = ("de", "en")
CLERK = ("clerk@demo.example", "demo-clerk-2026")
MANAGER = ("manager@demo.example", "demo-manager-2026")


def _first(field: Field) -> str:
    return next((option for option in field.options if option), "")


def _all(field: Field) -> list[str]:
    return [option for option in field.options if option]


Value = str | list[str] | Callable[[Field], str | list[str]]

# A valid value for each field a person fills in, by its name. A form with a field that is
# neither here nor filled in by the page itself fails the test, naming it: add it here.
VALID: dict[str, Value] = {
    # The look-up, the new link, the claim form, the no-booking form.
    "reference": "DEMO02", "surname": "Müller",
    "passenger_name": "Hans Müller", "passenger_email": "hans@example.org",
    "statement": "The train was late, and I missed my appointment.",
    "arrived_with_service": "ICE 1001", "journeys": _all,
    # A cohort's claims: the clerk ticks the ones to decide (those whose passenger says
    # otherwise are not ticked for them).
    "chosen": _all,
    # The cause a cohort's clerk confirms, or the one a passenger was told of.
    "cause": "technical",
    "iban": "DE44 5001 0517 5407 3249 31", "account_holder": "Hans Müller",
    "sort_code": "08-99-99", "account_number": "66374958",
    "operator": "demo-rail", "service": "RE 4711", "origin": "Köln Hbf",
    "destination": "Bonn Hbf", "travel_date": (date.today() - timedelta(days=3)).isoformat(),
    "scheduled_arrival": "13:42", "actual_arrival": "15:10", "price": "59,90",
    # The status page: the answer to a clerk's question, an objection, the survey.
    "arrival_time": "14:50", "objection": "The train was more than an hour late.",
    "score": _first, "comment": "Quick and clear.",
    # Staff.
    "email": CLERK[0], "password": CLERK[1],
    "amount": "12,50", "note": "Checked against the ticket.", "reason": _first,
    "explanation": "", "items": _first, "confirmed": "y", "claims": _all,
}

# A file for each upload field, by its name: the same rule as VALID.
PDF = ("ticket.pdf", b"%PDF-1.4\n%%EOF\n")
# The ticket of a claim without a booking; the file sent with an answer or an objection.
FILES: dict[str, tuple[str, bytes]] = {"ticket": PDF, "document": PDF}

# Sent last, in this order: each ends the session, the claim or the data other forms need.
LAST = ("passenger.lookup", "passenger.new_link", "clerk.cohort", "clerk.erase",
        "clerk.revoke_links", "passenger.decline", "clerk.login", "clerk.logout")
# A form added later whose view is named so (a passenger's "erase my data") goes with them.
ENDINGS = ("erase", "delete", "revoke", "decline", "withdraw", "logout")


def _rank(endpoint: str) -> int:
    if endpoint in LAST:
        return LAST.index(endpoint) + 1
    return LAST.index("clerk.login") if any(word in endpoint for word in ENDINGS) else 0


def _invalid(field: Field) -> str | None:
    """A value the field must refuse, by its type or name; None: leave it as it is."""
    name, kind = field.name.lower(), field.kind
    if kind in ("hidden", "submit", "file"):
        return None
    if kind == "checkbox" and len(field.options) == 1:
        return None  # a single box ("I confirm"): any value ticks it
    if kind in ("select", "radio", "checkbox"):
        return "not-a-choice"
    if kind == "password":
        return "x"
    if kind == "date" or "date" in name or name == "day":
        return "2026-02-30"
    if kind == "time" or "time" in name or name.endswith("_arrival"):
        return "25:61"
    if kind == "email" or "email" in name:
        return "not an e-mail"
    if "iban" in name:
        return "DE00 1234 5678"
    if name == "sort_code":
        return "12"
    if name == "account_number":
        return "1"
    if kind == "number" or name in ("amount", "price", "limit"):
        return "zwölf"
    # Free text: longer than any limit.
    return "ü" * max(5001, (field.maxlength or 0) + 1)


@dataclass
class Role:
    name: str
    client: FlaskClient
    entries: list[str]


@dataclass
class Found:
    """A kind of form (its view and fields) and every page it was seen on."""
    form: Form
    endpoint: str
    seen_on: list[tuple[Role, Form]]


Problems = list[str]


def _key(client: FlaskClient, form: Form) -> tuple[str, str, tuple[str, ...]] | None:
    view = endpoint_of(client, form.action, form.method.upper())
    names = tuple(sorted(f.name for f in form.fields if f.kind not in ("hidden", "submit")))
    return (form.method, view[0], names) if view else None


def _visible(form: Form) -> set[str]:
    return {f.name for f in form.fields if f.kind not in ("hidden", "submit")}


def _hidden(form: Form) -> dict[str, str]:
    return {f.name: f.value for f in form.fields if f.kind == "hidden"}


def _send(client: FlaskClient, form: Form, data: dict[str, Any]) -> Any:
    if form.method == "get":
        return client.get(form.action.split("?")[0], query_string=data)
    if form.enctype == "multipart/form-data":
        # A fresh stream per request: the test client reads it to the end.
        data = {name: (io.BytesIO(value[1]), value[0]) if isinstance(value, tuple) else value
                for name, value in data.items()}
        return client.post(form.action, data=data, content_type="multipart/form-data")
    return client.post(form.action, data=data)


def _refetch(client: FlaskClient, form: Form) -> Form | None:
    """The form as the page shows it now (a fresh CSRF token, today's state)."""
    response = client.get(form.page)
    html = parse(response) if response.status_code == 200 else None
    if html is None:
        return None
    return next((f for f in forms_on(html, form.page) if f.method == form.method
                 and f.action == form.action and _visible(f) == _visible(form)), None)


def _check_answer(client: FlaskClient, form: Form, response: Any, sent: dict[str, Any],
                  what: str, problems: Problems, *, refused: bool = True) -> Any | None:
    """The answer to a refused or accepted submission; its parsed page when it shows one."""
    where = f"{form.method.upper()} {form.action} ({what}, from {form.page})"
    if response.status_code >= 500:
        problems.append(f"{where}: {response.status_code}")
        return None
    if 300 <= response.status_code < 400:
        target = local_path(response.location, form.action)
        if target and client.get(target).status_code >= 500:
            problems.append(f"{where}: redirected to {target}, which fails")
        return None
    html = parse(response)
    if html is None or form.method == "get":
        return None
    # The page that answers stands at the address posted to: everything on it must lead
    # where it led from the page the form was on.
    for anchor in html.iterfind(".//a[@href]"):
        href = anchor.get("href", "").split("#")[0]
        target = local_path(href, form.action) if href else None
        if target and endpoint_of(client, target) is None:
            problems.append(f"{where}: the answer links to {target}, which has no page")
    answered = forms_on(html, form.action)
    for other in answered:
        if endpoint_of(client, other.action, other.method.upper()) is None:
            problems.append(f"{where}: the answer has a form posting to {other.action}, "
                            "which takes no such request")
    if not refused:
        return html
    same = [f for f in answered if f.method == form.method and _visible(form) <= _visible(f)]
    if not same:
        problems.append(f"{where}: the answer ({response.status_code}) lost the form")
        return html
    if not any(f.action == form.action for f in same):
        problems.append(f"{where}: the corrected form would post to "
                        f"{[f.action for f in same]}, not {form.action}")
    again = next((f for f in same if f.action == form.action), same[0])
    for name, value in sent.items():
        original, shown = form.named(name), again.named(name)
        if original is None or not original.typed or original.kind == "password":
            continue
        # Kept: the same text, perhaps spaced otherwise (an IBAN comes back compact).
        if shown is None or "".join(shown.value.split()) != "".join(str(value).split()):
            problems.append(f"{where}: {name!r} typed as {str(value)[:30]!r} came back as "
                            f"{(shown.value[:30] if shown else None)!r}")
    return html


def _mistakes(form: Form, uncovered: dict[str, set[str]],
              endpoint: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(what, the data sent, whether a value in it must be refused): nothing filled in;
    every field wrong; every field right but one (what was typed right is kept too)."""
    hidden = _hidden(form)
    yield "empty", hidden, False
    wrong = {f.name: bad for f in form.fields if (bad := _invalid(f)) is not None}
    yield "invalid", {**hidden, **wrong}, bool(wrong)
    typed = [f for f in form.typed_fields if f.kind not in ("hidden", "password")]
    if len(typed) > 1 and typed[0].name in wrong:
        right = _valid_values(form, uncovered, endpoint)
        yield f"all right but {typed[0].name}", {**right, typed[0].name: wrong[typed[0].name]}, True


def _refused_submissions(role: Role, found: Found, uncovered: dict[str, set[str]],
                         problems: Problems) -> None:
    """Empty and invalid, in German and English: refused in the session's language."""
    form = found.form
    said: dict[str, set[str]] = {}
    for language in LANGUAGES:
        role.client.get(f"/language/{language}")
        said[language] = set()
        for index in range(3):
            current = _refetch(role.client, form)
            if current is None:
                problems.append(f"{form.action}: the form is gone from {form.page}")
                return
            mistakes = list(_mistakes(current, uncovered, found.endpoint))
            if index >= len(mistakes):
                break
            what, data, wrong = mistakes[index]
            response = _send(role.client, current, data)
            html = _check_answer(role.client, current, response, data,
                                 f"{what}, {language}", problems)
            if wrong and response.status_code < 400:
                problems.append(f"{form.action} ({what}, {language}): accepted "
                                f"({response.status_code})")
            if html is not None and response.status_code >= 400:
                if not error_summary(html):
                    problems.append(f"{form.action} ({what}, {language}): refused "
                                    f"({response.status_code}) without saying why")
                if html.get("lang") != language:
                    problems.append(f"{form.action} ({what}): a page in {html.get('lang')} "
                                    f"for a session in {language}")
                said[language].update(messages_on(html))
    untranslated = said["de"] & said["en"]
    if untranslated:
        problems.append(f"{form.action}: the same words in German and English: "
                        f"{sorted(untranslated)}")


def _valid_values(form: Form, uncovered: dict[str, set[str]], endpoint: str
                  ) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in form.fields:
        if f.kind == "file":
            if f.name in FILES:
                data[f.name] = FILES[f.name]
            else:
                uncovered.setdefault(endpoint, set()).add(f.name + " (a file: add it to FILES)")
            continue
        wanted = VALID.get(f.name) if f.kind != "hidden" else None
        if wanted is not None:
            data[f.name] = wanted(f) if callable(wanted) else wanted
        elif f.kind == "checkbox":
            if f.chosen:
                data[f.name] = f.chosen
        elif f.kind in ("radio", "select", "submit"):
            data[f.name] = f.value or _first(f)
        elif f.typed and f.kind != "hidden" and not f.value:
            uncovered.setdefault(endpoint, set()).add(f.name)
        elif f.value or f.kind == "hidden":
            data[f.name] = f.value
    return data


def _valid_submission(found: Found, uncovered: dict[str, set[str]],
                      problems: Problems) -> None:
    if found.form.method == "get":
        return
    for role, seen in found.seen_on:
        role.client.get("/language/en")
        current = _refetch(role.client, seen)
        if current is None:
            continue
        data = _valid_values(current, uncovered, found.endpoint)
        if found.endpoint in uncovered:
            return
        response = _send(role.client, current, data)
        html = _check_answer(role.client, current, response, {}, "valid", problems,
                             refused=False)
        if response.status_code >= 400 or (html is not None and error_summary(html)):
            said = messages_on(html)[:3] if html is not None else []
            problems.append(f"{current.action} ({found.endpoint}): valid values refused "
                            f"({response.status_code}): {said}")
        return
    problems.append(f"{found.endpoint}: its form was gone from every page it was on "
                    f"({[s.page for _, s in found.seen_on][:3]}) before its valid submission: "
                    "send what destroys it later (LAST)")


def _junk_query(role: Role, form: Form, problems: Problems) -> None:
    for language in LANGUAGES:
        role.client.get(f"/language/{language}")
        junk = {f.name: bad for f in form.fields if (bad := _invalid(f)) is not None}
        for data in ({}, junk):
            response = _send(role.client, form, data)
            if response.status_code >= 500:
                problems.append(f"GET {form.action} with {list(data)}: {response.status_code}")


# The demo data, and a passenger's claims in every state.

@pytest.fixture
def site(app: Flask, runner: FlaskCliRunner) -> Iterator[list[Role]]:
    result = runner.invoke(args=["demo", "seed", "--bookings", "40"])
    assert result.exit_code == 0, result.output
    # Two more offers like Lena Sommer's, on later trains: one without an account on file
    # (its acceptance asks where to pay), one to decline.
    booking, operations = demo.offer_scenario(date.today())
    for reference, service, payment in (("OFFER2", "ICE 1003", None),
                                        ("OFFER3", "ICE 1005", booking["payment"])):
        load(app, [{**booking, "reference": reference, "payment": payment,
                    "passenger": {"name": "Jonas Sommer", "email": "jonas@example.org"},
                    "legs": [{**booking["legs"][0], "service": service}]}],
             [{**operations, "service": service}])
    factory = app.extensions["effortless"].session_factory
    assert proactive.check_all(factory).offers
    file_claim(app, "DEMO01", "Mustermann")  # approved
    file_claim(app, "DEMO03", "Schmidt")  # rejected
    file_claim(app, "DEMO04", "Weber")  # to a clerk, who proposes a large amount
    # There and back on one ticket: the way there claimed, the way back still to claim;
    # both claimed, each claim's page leading to the other's.
    load(app, [{**return_booking(reference, "Hans Müller"), "operator": "demo-rail"}
               for reference in ("RETURN1", "RETURN2")])
    file_claim(app, "RETURN1", "Müller", journeys="outbound")
    file_claim(app, "RETURN2", "Müller", journeys="outbound")
    file_claim(app, "RETURN2", "Müller", journeys="return")
    file_claim(app, "DEMO05", "Fischer")  # to a clerk, who asks the passenger
    run_worker(app)

    def claim_of(reference: str | None = None, status: str | None = None) -> int:
        query = select(Claim.id).join(Booking, Booking.id == Claim.booking_id)
        if reference:
            query = query.where(Booking.reference == reference)
        if status:
            query = query.where(Claim.status == status)
        with factory() as session:
            found = session.scalars(query.order_by(Claim.id).limit(1)).first()
        assert found is not None, (reference, status)
        return int(found)

    clerk = app.test_client()
    assert sign_in(clerk, *CLERK).status_code == 302
    asked = claim_of("DEMO05")
    _decide_on_the_page(clerk, asked, "/request-info", {"items": _first})
    proposed = claim_of("DEMO04")
    _decide_on_the_page(clerk, proposed, "/approve", {"amount": "950", "note": "Taxi"})
    with factory() as session:
        assert session.get(Claim, proposed).proposed_amount is not None  # a second approval
    # Taken again, by the clerk who proposed: the page offers to put it back.
    _take(clerk, proposed)
    run_worker(app)
    claims = [*(claim_of(reference) for reference in (
        "DEMO01", "DEMO03", "DEMO04", "DEMO05", "RETURN1", "RETURN2", "OFFER1", "OFFER2",
        "OFFER3", "DEMO09")), claim_of(status="paid")]
    passenger = app.test_client()
    assert look_up(passenger, "RETURN1", "Müller").status_code == 302
    uk_passenger = app.test_client()
    assert look_up(uk_passenger, "DEMO07", "Smith").status_code == 302
    statuses = [status_path(app, claim_id) for claim_id in claims]
    manager = app.test_client()
    assert sign_in(manager, *MANAGER).status_code == 302
    yield [
        Role("passenger", passenger, ["/", "/claim", "/manual", "/new-link", "/clerk/login",
                                      *statuses]),
        Role("passenger (UK)", uk_passenger, ["/claim"]),
        Role("clerk", clerk, [f"/clerk/claims/{claim_id}" for claim_id in claims]
             + ["/clerk/", "/clerk/cohorts"]),
        Role("manager", manager, ["/reports/", "/reports/what-if", "/reports/audit"]),
    ]


def _form_on(client: FlaskClient, page: str, ending: str) -> Form:
    html = parse(client.get(page))
    assert html is not None
    [form] = [f for f in forms_on(html, page) if f.action.endswith(ending)]
    return form


def _take(clerk: FlaskClient, claim_id: int) -> None:
    take = _form_on(clerk, f"/clerk/claims/{claim_id}", "/take")
    assert clerk.post(take.action, data=_hidden(take)).status_code == 302


def _decide_on_the_page(clerk: FlaskClient, claim_id: int, ending: str,
                        values: dict[str, Value]) -> None:
    """The clerk takes the claim and sends one of its forms, as on the page."""
    _take(clerk, claim_id)
    form = _form_on(clerk, f"/clerk/claims/{claim_id}", ending)
    data: dict[str, Any] = _hidden(form)
    for name, value in values.items():
        field = form.named(name)
        assert field is not None, (ending, name)
        data[name] = value(field) if callable(value) else value
    response = clerk.post(form.action, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def _skip(url: str) -> bool:
    # The language switch is the test's to make; the queue dashboard is rq-dashboard's.
    return url.startswith(("/language/", "/admin/"))


def test_every_form_survives_a_mistake_and_takes_valid_values(site: list[Role]) -> None:
    problems: Problems = []
    uncovered: dict[str, set[str]] = {}
    forms: dict[tuple[str, str, tuple[str, ...]], Found] = {}
    for role in site:
        role.client.get("/language/en")
        for page in crawl(role.client, role.entries, max_pages=120, per_endpoint=10,
                          skip=_skip):
            if page.response.status_code >= 500:
                problems.append(f"{role.name}: GET {page.url}: {page.response.status_code}")
            for form in forms_on(page.html, page.url):
                key = _key(role.client, form)
                if key is None:
                    problems.append(f"{role.name}: {page.url} has a form posting to "
                                    f"{form.action}, which takes no {form.method.upper()}")
                    continue
                forms.setdefault(key, Found(form, key[1], [])).seen_on.append((role, form))
    endpoints = {found.endpoint for found in forms.values()}
    # The crawl reached the pages it is meant to cover (a broken seed would pass silently).
    assert {"passenger.lookup", "passenger.claim", "passenger.manual_claim",
            "passenger.new_link", "passenger.appeal", "passenger.provide_info",
            "passenger.survey", "passenger.accept", "passenger.new_account",
            "passenger.claimed_journey", "passenger.other_journey", "clerk.login",
            "clerk.approve", "clerk.reject", "clerk.request_info", "clerk.cohort",
            "clerk.erase", "clerk.release", "clerk.logout", "reports.overview",
            "reports.what_if_page"} <= endpoints, sorted(endpoints)

    for found in forms.values():
        role, form = found.seen_on[0]
        if form.method == "get":
            _junk_query(role, form, problems)
        elif any(f.kind not in ("hidden", "submit") for f in form.fields):
            _refused_submissions(role, found, uncovered, problems)

    # The forms found on fewest pages first: a form on every claim page (approve) takes
    # one whose rarer forms (put back in the queue) have been sent already.
    order = sorted(forms.values(), key=lambda found: (_rank(found.endpoint),
                                                      len(found.seen_on)))
    for found in order:
        _valid_submission(found, uncovered, problems)
    assert not uncovered, (
        "forms without valid values (add the fields to VALID in this file): "
        + "; ".join(f"{endpoint}: {sorted(names)}" for endpoint, names in uncovered.items()))
    assert not problems, "\n".join(problems)


def _page_with_a_form(action_from_the_path: bool) -> Flask:
    """A page whose objection form reposts after an error, its address built from
    url_for, or from request.path as the status page's was (issue 44's blocker)."""
    from flask import request, url_for

    sample = Flask(__name__)

    def page(token: str, objection: str = "") -> str:
        base = request.path if action_from_the_path else url_for("status", token=token)
        error = '<p class="error">Say why.</p>' if request.method == "POST" else ""
        return (f'<html lang="en"><body>{error}<form method="post" action="{base}/appeal">'
                f'<textarea name="objection">{objection}</textarea></form>'
                f'<a href="{base}/letter.pdf">Letter</a></body></html>')

    @sample.get("/status/<token>")
    def status(token: str) -> str:
        return page(token)

    @sample.get("/status/<token>/letter.pdf")
    def letter(token: str) -> str:
        return ""

    @sample.post("/status/<token>/appeal")
    def appeal(token: str) -> tuple[str, int]:
        return page(token, request.form.get("objection", "")), 422

    return sample


@pytest.mark.parametrize("action_from_the_path", [False, True])
def test_the_check_finds_a_form_that_posts_elsewhere_after_an_error(
        action_from_the_path: bool) -> None:
    client = _page_with_a_form(action_from_the_path).test_client()
    html = parse(client.get("/status/abc"))
    assert html is not None
    [form] = forms_on(html, "/status/abc")
    sent = {"objection": "x" * 20}
    problems: Problems = []
    _check_answer(client, form, client.post(form.action, data=sent), sent, "invalid",
                  problems)
    if not action_from_the_path:
        assert problems == []
    else:
        assert any("/status/abc/appeal/appeal'], not /status/abc/appeal" in p
                   for p in problems), problems
        assert any("links to /status/abc/appeal/letter.pdf, which has no page" in p
                   for p in problems), problems
