"""A GET writes nothing, or at most one page-view event per claim (or booking, or
clerk) and minute: reloading a page, polling it or fetching it from a script a thousand
times never grows a table. Status links are made by a POST only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from claims.core.vocabulary import EventKind
from claims.db.models import Base, Booking, ClaimEvent
from claims.operators import accounts
from common.links import invitation_token
from tests.helpers import (
    create_operator,
    csrf_token,
    load,
    look_up,
    run_worker,
    sign_in,
    submit,
)
from tests.records import DAY, arrival, rail_booking, return_booking

PASSWORD = "a long enough password"


@pytest.fixture
def pages(app: Flask) -> Iterator[dict[str, tuple[FlaskClient, str]]]:
    """Every passenger page a GET opens, each with the browser that opens it: a booking
    not claimed yet, and a return ticket whose two claims are filed and decided."""
    create_operator(app)
    load(app, [rail_booking("OPEN01", passenger={"name": "Erika Mustermann"}),
               return_booking("BOTH01", "Hans Müller")],
         [arrival(), arrival(service="ICE 597", stop="Mannheim Hbf",
                             actual=f"{DAY}T12:05:00+01:00"),
          arrival(service="ICE 598", stop="Frankfurt(Main) Hbf",
                  actual=f"{DAY}T18:55:00+01:00")])
    fresh = app.test_client()
    look_up(fresh, "OPEN01", "Mustermann")
    filed = app.test_client()
    look_up(filed, "BOTH01", "Müller")
    status = submit(filed, journeys=["outbound", "return"]).location  # type: ignore[arg-type]
    assert status.startswith("/status/")
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        booking_id = session.scalar(select(Booking.id).where(Booking.reference == "OPEN01"))
    invited = invitation_token(app.extensions["effortless"].settings.secret_key, booking_id, 0)
    anonymous = app.test_client()
    yield {
        "passenger.start": (anonymous, "/"),
        "passenger.manual_claim": (anonymous, "/manual"),
        "passenger.new_link": (anonymous, "/new-link"),
        "passenger.language": (anonymous, "/language/de?next=/manual"),
        "passenger.invited": (app.test_client(), f"/invited/{invited}"),
        "passenger.claim": (fresh, "/claim"),
        "passenger.claim (claimed)": (filed, "/claim"),
        "passenger.claimed_journey_page": (filed, "/claim/return/status"),
        "passenger.status": (anonymous, status),
        "passenger.other_journey_page": (anonymous, status + "/journey/return"),
        "passenger.data_export": (anonymous, status + "/data.json"),
        "passenger.letter": (anonymous, status + "/letter.pdf"),
        "passenger.eu_form": (anonymous, status + "/form.pdf"),
    }


def _rows(app: Flask) -> dict[str, int]:
    with app.extensions["effortless"].session_factory() as session:
        return {table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables}


def _events_after(app: Flask, last_id: int) -> list[Any]:
    with app.extensions["effortless"].session_factory() as session:
        return list(session.execute(select(
            ClaimEvent.kind, ClaimEvent.claim_id, ClaimEvent.booking_id, ClaimEvent.actor_id,
            ClaimEvent.at).where(ClaimEvent.id > last_id)))


def _minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def _last_event(app: Flask) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.max(ClaimEvent.id))) or 0)


def test_every_passenger_get_page_is_covered(
        app: Flask, pages: dict[str, tuple[FlaskClient, str]]) -> None:
    """A page added later is added to the test below, or this fails."""
    gets = {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("passenger.") and "GET" in (rule.methods or ())}
    assert gets == {name.split(" ")[0] for name in pages}


PAGE_NAMES = ["passenger.start", "passenger.manual_claim", "passenger.new_link",
              "passenger.language", "passenger.invited", "passenger.claim",
              "passenger.claim (claimed)", "passenger.claimed_journey_page",
              "passenger.status", "passenger.other_journey_page", "passenger.data_export",
              "passenger.letter", "passenger.eu_form"]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=st.lists(st.sampled_from(PAGE_NAMES), min_size=1, max_size=60))
def test_any_number_of_gets_writes_at_most_one_event_per_page_claim_and_minute(
        app: Flask, pages: dict[str, tuple[FlaskClient, str]], visits: list[str]) -> None:
    before, last = _rows(app), _last_event(app)
    for name in visits:
        client, path = pages[name]
        response = client.get(path)
        assert response.status_code < 400, (name, response.status_code)
    after = _rows(app)
    # No table grows but the event log: no status link, no claim, nothing else.
    assert {t: n for t, n in after.items() if t != "claim_events"} == \
        {t: n for t, n in before.items() if t != "claim_events"}
    # And the log only by page views, one per kind, claim (booking, clerk) and minute.
    events = _events_after(app, last)
    assert {e.kind for e in events} <= {EventKind.CLAIM_FORM_SHOWN, EventKind.STATUS_VIEWED,
                                        EventKind.MANUAL_FORM_SHOWN}
    per_minute = Counter((e.kind, e.claim_id, e.booking_id, e.actor_id, _minute(e.at))
                         for e in events)
    assert all(n == 1 for n in per_minute.values()), per_minute


def test_a_claimed_journey_is_opened_by_a_button_that_makes_its_link(
        app: Flask, pages: dict[str, tuple[FlaskClient, str]]) -> None:
    """Without JavaScript: the claim page's button posts, and only the post makes a link;
    so does the status page's button to the other journey."""
    client, _path = pages["passenger.claim (claimed)"]
    page = client.get("/claim").get_data(as_text=True)
    assert page.count('action="/claim/outbound/status"') == 1
    assert 'name="passenger_name"' not in page  # every journey claimed: no form
    links = _rows(app)["status_links"]
    opened = client.post("/claim/outbound/status", data={"csrf_token": csrf_token(page)})
    assert opened.status_code == 302 and opened.location.startswith("/status/")
    assert _rows(app)["status_links"] == links + 1
    status = client.get(opened.location).get_data(as_text=True)
    other = f'action="{opened.location}/journey/return"'
    assert other in status
    back = client.post(opened.location + "/journey/return",
                       data={"csrf_token": csrf_token(status)})
    assert back.status_code == 302 and back.location.startswith("/status/")
    assert "Return" in client.get(back.location).get_data(as_text=True)
    assert _rows(app)["status_links"] == links + 2
    # Coming back later, the look-up (a POST) leads straight to the claim by a new link.
    again = look_up(app.test_client(), "BOTH01", "Müller")
    assert again.status_code == 302 and again.location.startswith("/status/")
    assert _rows(app)["status_links"] == links + 3


def test_a_single_visit_still_counts_each_page_once(
        app: Flask, pages: dict[str, tuple[FlaskClient, str]]) -> None:
    """What the effort record reads of a visit is what it read before: the form shown
    once, the status page viewed once, the form without a booking opened once."""
    last = _last_event(app)
    fresh, _path = pages["passenger.claim"]
    anonymous, status = pages["passenger.status"]
    for client, path in ((fresh, "/claim"), (anonymous, status), (anonymous, "/manual")):
        client.get(path)
    kinds = Counter(e.kind for e in _events_after(app, last))
    assert kinds == {EventKind.CLAIM_FORM_SHOWN: 1, EventKind.STATUS_VIEWED: 1,
                     EventKind.MANUAL_FORM_SHOWN: 1}


def test_a_clerk_reopening_a_file_is_noted_once_a_minute(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival(actual=None, cancelled=True)])
    client = app.test_client()
    look_up(client, "Q7K2LM", "Mustermann")
    submit(client)
    run_worker(app)
    accounts.create_user(app.extensions["effortless"].session_factory, "clerk@example.org",
                         "clerk", PASSWORD)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalar(select(func.max(ClaimEvent.claim_id)))
    last = _last_event(app)
    for _visit in range(20):
        assert clerk.get(f"/clerk/claims/{claim_id}").status_code == 200
    events = _events_after(app, last)
    assert {e.kind for e in events} == {EventKind.CLAIM_FILE_OPENED}
    assert len(events) == len({_minute(e.at) for e in events}) <= 2
