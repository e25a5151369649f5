"""The clear path's round trips to PostgreSQL: each is about 0.25 ms of the machine's time
under load (bench/submit_claims.py, measured). The look-up's read writes its event, and
so does the claim page's (booking_reads); the submit reads, then writes
the claim, its event and its status link in one statement (claims.passengers.claim_writes).
No BEGIN or COMMIT goes with them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from claims.core.vocabulary import EventKind
from claims.db.models import Claim, ClaimEvent, StatusLink
from tests.helpers import (
    REAL_DATABASE,
    create_operator,
    load,
    look_up,
    statements_run,
    submit,
)
from tests.records import arrival, rail_booking

pytestmark = pytest.mark.skipif(not (REAL_DATABASE or "").startswith("postgres"),
                                reason="PostgreSQL's round trips (the .ci/run pass)")


def test_a_clear_claim_is_four_statements_and_no_transaction(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    runtime = app.extensions["effortless"]
    transactions: list[str] = []

    def committed(conn: Any) -> None:
        # Left in autocommit, a statement commits on its own: no COMMIT is sent.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            transactions.append("COMMIT")

    event.listen(runtime.engine, "commit", committed)
    try:
        with statements_run(runtime.engine) as sent:
            client = app.test_client()
            assert look_up(client, "Q7K2LM", "Mustermann").status_code == 302
            response = submit(client, passenger_name="Erika Mustermann")
            assert response.status_code == 302
    finally:
        event.remove(runtime.engine, "commit", committed)
    statements = [sql.split()[0] for sql in sent]

    # The look-up's WITH found AS (SELECT ...), found_noted AS (INSERT ...) SELECT; the
    # claim page's WITH form_shown AS (INSERT ...) SELECT; the submit's SELECT and WITH
    # new_claim AS (INSERT ...), ...; before each of the two requests with the session,
    # the SELECT of the booking's access version (a clerk's "end all links" ends the
    # session at once); nothing else.
    assert statements == ["WITH", "SELECT", "WITH", "SELECT", "SELECT", "WITH"]
    assert transactions == []
    with runtime.session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
        kinds = session.scalars(select(ClaimEvent.kind).where(
            ClaimEvent.claim_id == claim_id)).all()
        found = session.execute(select(ClaimEvent.booking_id, ClaimEvent.actor,
                                       ClaimEvent.counts).where(
            ClaimEvent.kind == EventKind.BOOKING_FOUND)).all()
        shown = session.execute(select(ClaimEvent.counts, ClaimEvent.at).where(
            ClaimEvent.kind == EventKind.CLAIM_FORM_SHOWN)).all()
        links = session.scalar(select(func.count()).select_from(StatusLink).where(
            StatusLink.claim_id == claim_id))
        submitted_at = session.scalar(select(Claim.submitted_at))
    assert kinds == [EventKind.CLAIM_SUBMITTED]
    assert [(actor, counts) for _booking, actor, counts in found] == [("passenger", {})]
    assert found[0][0] is not None
    # Name and e-mail prefilled, of the form's four fields.
    assert [counts for counts, _at in shown] == [{"fields_shown": 4, "fields_prefilled": 2}]
    assert shown[0][1].tzinfo is not None
    assert links == 1
    assert submitted_at is not None
    # The page it is sent to opens with the link made in that statement.
    assert client.get(response.location).status_code == 200

