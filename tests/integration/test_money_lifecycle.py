"""The money lifecycle's invariants, over random sequences of what passengers, operators,
clerks and payout runs do (tests/integration/money_lifecycle.py): a short run here, a
long one in bench/money_lifecycle.py. On SQLite, and on PostgreSQL in CI's second pass."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import select

from claims.db.models import User
from claims.operators import accounts
from tests.integration.money_lifecycle import MoneyLifecycle


def test_no_journey_is_paid_twice_nor_past_its_limits_in_any_order(
        app: Flask, tmp_path: Path) -> None:
    factory = app.extensions["effortless"].session_factory
    for email in ("anna@example.org", "bert@example.org"):
        accounts.create_user(factory, email, "clerk", "a-long-clerk-password-2026")
    with factory() as session:
        clerks = tuple(session.scalars(select(User.id).order_by(User.id)))
    machine = type("MoneyLifecycleHere", (MoneyLifecycle,), {
        "factory": factory, "directory": tmp_path, "clerk_ids": clerks})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=12, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
