"""The clear path's round trips to PostgreSQL: each is about 0.25 ms of the machine's time
under load (bench/submit_claims.py, measured). The look-up, the claim page and the submit
each read once and write once, and no BEGIN or COMMIT goes with them: the submit's claim,
its event and its status link are one statement (claims.passengers.claim_writes)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from claims.core.vocabulary import EventKind
from claims.db.models import Claim, ClaimEvent, StatusLink
from tests.helpers import REAL_DATABASE, create_operator, load, look_up, submit
from tests.records import arrival, rail_booking

pytestmark = pytest.mark.skipif(not (REAL_DATABASE or "").startswith("postgres"),
                                reason="PostgreSQL's round trips (the .ci/run pass)")


def test_a_clear_claim_is_six_statements_and_no_transaction(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking()], [arrival()])
    runtime = app.extensions["effortless"]
    statements: list[str] = []
    transactions: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql.split()[0])

    def committed(conn: Any) -> None:
        # Left in autocommit, a statement commits on its own: no COMMIT is sent.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            transactions.append("COMMIT")

    event.listen(runtime.engine, "before_cursor_execute", statement)
    event.listen(runtime.engine, "commit", committed)
    try:
        client = app.test_client()
        assert look_up(client, "Q7K2LM", "Mustermann").status_code == 302
        response = submit(client, passenger_name="Erika Mustermann")
        assert response.status_code == 302
    finally:
        event.remove(runtime.engine, "before_cursor_execute", statement)
        event.remove(runtime.engine, "commit", committed)

    # Look-up, claim page, submit: a SELECT and an INSERT each (the submit's INSERT is
    # WITH new_claim AS (INSERT ...), ...), and nothing else.
    assert statements == ["SELECT", "INSERT", "SELECT", "INSERT", "SELECT", "WITH"]
    assert transactions == []
    with runtime.session_factory() as session:
        claim_id = session.scalars(select(Claim.id)).one()
        kinds = session.scalars(select(ClaimEvent.kind).where(
            ClaimEvent.claim_id == claim_id)).all()
        links = session.scalar(select(func.count()).select_from(StatusLink).where(
            StatusLink.claim_id == claim_id))
        submitted_at = session.scalar(select(Claim.submitted_at))
    assert kinds == [EventKind.CLAIM_SUBMITTED]
    assert links == 1
    assert submitted_at is not None
    # The page it is sent to opens with the link made in that statement.
    assert client.get(response.location).status_code == 200
