"""The what-if's invariants on the real database (SQLite keeps amounts as text, PostgreSQL
as NUMERIC), over effort records hypothesis writes: the policy in force changes nothing,
a higher auto-approve limit never sends a claim to a clerk, every share is a share."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from claims.db.models import Claim, ClaimEffort, Operator
from claims.reporting.reports import CostModel, ReportFilter, what_if
from tests.helpers import create_operator

MODEL = CostModel(clerk_per_hour=Decimal("36.00"), per_job=Decimal("0.01"),
                  per_payout=Decimal("0.50"))
LIMIT = Decimal("600.00")
OVER_LIMIT = "amount-over-limit"
# Amounts of every length, as text they sort otherwise than as numbers: 99.50 < 1000.
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
OTHER_REASONS = st.sets(st.sampled_from(["passenger-statement", "missed-connection"]),
                        max_size=2)
CLAIMS = st.lists(st.tuples(AMOUNTS, OTHER_REASONS, st.booleans()), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=CLAIMS, limits=st.lists(AMOUNTS, min_size=2, max_size=4))
def test_the_policy_in_force_changes_nothing_and_a_higher_limit_frees_only(
        app: Flask, claims: list[tuple[Decimal, set[str], bool]],
        limits: list[Decimal]) -> None:
    factory = app.extensions["effortless"].session_factory
    _write_records(app, claims)

    today = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=LIMIT, rules_off=[])
    assert (today.claims_freed, today.claims_added) == (0, 0)
    assert today.changed == today.today

    straight_through = []
    for limit in sorted(limits):
        changed = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=limit,
                          rules_off=[])
        for scenario in (changed.today, changed.changed):
            assert scenario.straight_through is not None
            assert 0 <= scenario.straight_through <= 1
        # Decided by the amount alone, as the policy does with the limit.
        expected = sum(1 for amount, reasons, _handled in claims
                       if not reasons and amount <= limit)
        assert changed.changed.straight_through == expected / len(claims)
        straight_through.append(changed.changed.straight_through)
    assert straight_through == sorted(straight_through)  # a higher limit frees, never adds


def _write_records(app: Flask, claims: list[tuple[Decimal, set[str], bool]]) -> None:
    """Each claim decided under LIMIT: over it, a clerk's (amount-over-limit); with other
    reasons, a clerk's; else straight through. `handled`: a clerk has worked on it."""
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        if session.scalar(select(Operator.id)) is None:
            create_operator(app)
    with factory.begin() as session:
        operator_id = session.scalar(select(Operator.id))
        session.execute(delete(ClaimEffort))
        session.execute(delete(Claim))
        submitted = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        for amount, other_reasons, handled in claims:
            reasons = sorted(other_reasons | ({OVER_LIMIT} if amount > LIMIT else set()))
            touchless = not reasons
            claim = Claim(operator_id=operator_id, regime="eu-rail",
                          status="approved" if touchless or handled else "needs_review",
                          passenger_name="Hand Made", submitted_at=submitted)
            session.add(claim)
            session.flush()
            session.execute(insert(ClaimEffort).values(
                claim_id=claim.id, operator_id=operator_id, regime="eu-rail",
                path="touchless" if touchless else "clerk", status=claim.status,
                submitted_at=submitted, touchless_decision=touchless,
                touchless_payout=False, paid=False, amount=amount, fields_shown=4,
                fields_prefilled=2, fields_typed=1, fields_changed=0, active_seconds=60,
                validation_errors=0, submit_attempts=1, uploads=0, info_requests=0,
                contacts=0, appeals=0, clerk_seconds=300 if handled and not touchless else 0,
                touches=0, clerks=0, handovers=0, jobs=1, last_event_id=0,
                reason_codes=" ".join(reasons) or None))
