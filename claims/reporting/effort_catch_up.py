"""Catching up with the whole event log: refreshes one after another until the records
hold every settled event, on one core or, on PostgreSQL, on several (effort_parallel);
the days added up once at the end. For the CLI and the tests; the sweeper refreshes a
slice at a time (effort_store.refresh)."""

from __future__ import annotations

from datetime import timedelta

from claims.db.dialect import refresh_planner_statistics
from claims.reporting import effort_days, effort_store, unclaimed_days
from claims.reporting.effort_parallel import builder
from claims.reporting.effort_store import SessionFactory


def refresh_all(session_factory: SessionFactory, *, settle: timedelta | None = None,
                processes: int = 1) -> int:
    """Catch up with the event log; with `processes` > 1 (PostgreSQL) on that many cores."""
    settle = effort_store.SETTLE if settle is None else settle
    total = 0
    with builder(session_factory, processes) as build:
        while (done := effort_store.refresh(session_factory, settle=settle, build=build,
                               events=200_000 * processes, roll_up=False)) \
                or effort_store.behind(session_factory, settle):
            total += done
    # The days of all the records rebuilt, added up once: not once per refresh above, each
    # of which touches most days again.
    with session_factory.begin() as session:
        effort_store.locked_progress(session)
        effort_days.roll_up_due(session)
        unclaimed_days.roll_up_due(session)
    if total:
        with session_factory.begin() as session:
            refresh_planner_statistics(session, [
                "claim_effort", "effort_drivers", "started_claims", "effort_days",
                "effort_driver_days", "unclaimed_days"])
    return total
