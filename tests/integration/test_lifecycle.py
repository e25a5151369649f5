"""Claim states: legal transitions only, failures end with a clerk, signals are caught."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Retry
from sqlalchemy import select

from claims.core.vocabulary import ClaimStatus
from claims.db.models import Claim, ClaimEvent
from claims.passengers import filing
from claims.processing.lifecycle import ALLOWED, IllegalTransition, can_move, move_all
from tests.helpers import create_operator, csrf_token, load, look_up, run_worker, submit
from tests.records import DAY, arrival, rail_booking
from workflows import drain, jobs, queues


@pytest.fixture
def late_booking(app: Flask) -> None:
    create_operator(app)
    load(app, [rail_booking("Q7K2LM", passenger={"name": "Hans Müller"})],
         [arrival(service="ICE 597", stop="Mannheim Hbf", actual=f"{DAY}T10:53:00+01:00"),
          arrival()])


def _claim(app: Flask) -> Claim:
    with app.extensions["effortless"].session_factory() as session:
        return session.scalars(select(Claim)).one()


def _events(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    with app.extensions["effortless"].session_factory() as session:
        return [(e.kind, e.counts) for e in session.scalars(
            select(ClaimEvent).order_by(ClaimEvent.id))]


def test_the_state_machine_allows_only_the_documented_moves() -> None:
    S = ClaimStatus
    assert can_move(S.SUBMITTED, S.ASSESSING) and can_move(S.APPROVED, S.PAID)
    assert can_move(S.NEEDS_REVIEW, S.INFO_REQUESTED) and can_move(S.INFO_REQUESTED,
                                                                   S.NEEDS_REVIEW)
    assert not can_move(S.SUBMITTED, S.APPROVED)
    assert not can_move(S.PAID, S.WITHDRAWN)
    assert not can_move(S.REJECTED, S.PAID)
    assert ALLOWED[S.DECLINED] == frozenset()
    # After payment only more money (the difference approved, or a clerk's case), or the
    # bank sending it back; then only another account.
    assert ALLOWED[S.PAID] == frozenset({S.APPROVED, S.NEEDS_REVIEW, S.PAYOUT_FAILED})
    assert ALLOWED[S.PAYOUT_FAILED] == frozenset({S.APPROVED})


def test_a_paid_or_decided_claim_cannot_be_withdrawn_and_the_refusal_is_logged(
        app: Flask, client: FlaskClient, late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    claim = _claim(app)
    assert claim.status == "approved"
    with pytest.raises(IllegalTransition, match="approved -> withdrawn is not allowed"):
        filing.withdraw_claim(app.extensions["effortless"].session_factory, claim.id)
    assert _claim(app).status == "approved"
    assert ("transition_refused", {"refused_from": "approved", "refused_to": "withdrawn"}) in (
        _events(app))


def test_a_submitted_claim_can_be_withdrawn_and_is_then_not_assessed(
        app: Flask, client: FlaskClient, late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    filing.withdraw_claim(app.extensions["effortless"].session_factory, _claim(app).id)
    run_worker(app)
    assert _claim(app).status == "withdrawn"
    assert "assessment_started" not in [kind for kind, _ in _events(app)]


def test_a_transient_error_is_retried_and_the_claim_decided(
        app: Flask, client: FlaskClient, late_booking: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queues, "ASSESSMENT_RETRY", Retry(max=2))
    calls = []
    real = jobs.assess_claim

    def flaky(factory: Any, claim_id: int) -> Any:
        calls.append(claim_id)
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        return real(factory, claim_id)

    monkeypatch.setattr(jobs, "assess_claim", flaky)
    _break_batches(monkeypatch)
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    assert len(calls) == 2
    assert _claim(app).status == "approved"


def test_a_job_failing_for_good_sends_the_claim_to_a_clerk(
        app: Flask, client: FlaskClient, late_booking: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queues, "ASSESSMENT_RETRY", Retry(max=2))

    def broken(factory: Any, claim_id: int) -> Any:
        raise ValueError("Hans Müller's data broke the rules")

    monkeypatch.setattr(jobs, "assess_claim", broken)
    _break_batches(monkeypatch)
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["job-failed"])
    failed = [counts for kind, counts in _events(app) if kind == "assessment_failed"]
    assert failed == [{"error": "ValueError"}]  # the type only: no personal data


def test_the_same_name_on_the_same_train_with_another_booking_is_a_possible_duplicate(
        app: Flask, client: FlaskClient, late_booking: None) -> None:
    load(app, [rail_booking("Q7K2LN", passenger={"name": "Hans Müller"})])
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    second = app.test_client()
    look_up(second, "Q7K2LN", "Mueller")
    submit(second)
    run_worker(app)
    with app.extensions["effortless"].session_factory() as session:
        outcomes = session.execute(select(Claim.status, Claim.reason_codes)
                                   .order_by(Claim.id)).all()
    # Each sees the other: a clerk decides which one stands.
    assert outcomes == [("needs_review", ["possible-duplicate"])] * 2


def test_a_changed_surname_is_a_fraud_signal(app: Flask, client: FlaskClient,
                                             late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    page = client.get("/claim").get_data(as_text=True)
    client.post("/claim", data={"csrf_token": csrf_token(page),
                                "passenger_name": "Hans Schmidt"})
    run_worker(app)
    claim = _claim(app)
    assert (claim.status, claim.reason_codes) == ("needs_review", ["name-changed"])


def _break_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch fails, so its claims go the one-by-one way with retries."""
    def unavailable(factory: Any, claim_ids: Any) -> Any:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(drain, "assess_claims", unavailable)


def test_a_move_of_many_claims_checks_each_and_writes_all_or_none(
        app: Flask, client: FlaskClient, late_booking: None) -> None:
    look_up(client, "Q7K2LM", "Müller")
    submit(client)
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        claim = session.scalars(select(Claim)).one()
        with pytest.raises(IllegalTransition):
            move_all(session, [claim], ClaimStatus.WITHDRAWN)  # approved: too late
        session.rollback()
    assert _claim(app).status == "approved"
    with factory.begin() as session:
        claim = session.scalars(select(Claim)).one()
        move_all(session, [claim], ClaimStatus.PAID)
        assert claim.status == "paid"  # the object in the session shows the move
    assert _claim(app).status == "paid"
