"""The days' sums (effort_days, effort_driver_days) a report reads: always what the effort
records add up to, however the records came to be (a refresh, a build that stopped half
way, an upgrade of a database that had records before the sums existed)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import func, select, update

from claims.clerks import decisions, review
from claims.db import migrate
from claims.db.engine import for_writing
from claims.db.models import (
    Booking,
    Claim,
    ClaimEffort,
    EffortDay,
    EffortDayDue,
    EffortDriver,
    EffortDriverDay,
    User,
)
from claims.operators import accounts
from claims.passengers import filing
from claims.processing.assessment import assess_claims
from claims.reporting import effort_store
from tests.helpers import create_operator, load
from tests.records import arrival, rail_booking

NOW = timedelta(0)


def _claims_on_two_days(app: Flask) -> list[int]:
    """Three claims: one filed three days ago, two today; one goes to a clerk."""
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    references = ("AAAA01", "BBBB02", "CCCC03")
    load(app, [rail_booking(reference, passenger={"name": f"Anna Koch{index}"})
               for index, reference in enumerate(references)], [arrival()])
    with factory() as session:
        bookings = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    claims = [filing.submit_claim(factory, booking, filing.ClaimInput(
        f"Anna Koch{index}", None, None, "It was later" if index == 1 else None, "en"),
        effort={"keystrokes": index}).claim_id for index, booking in enumerate(bookings)]
    with factory.begin() as session:
        session.execute(update(Claim).where(Claim.id == claims[0]).values(
            submitted_at=datetime.now(UTC) - timedelta(days=3)))
    assess_claims(factory, claims)
    return claims


def _days(app: Flask) -> tuple[dict[tuple[Any, ...], tuple[int, ...]], set[tuple[Any, ...]]]:
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        days = {(row.day, row.path, row.status, row.touchless_decision):
                (row.claims, row.decided, row.clerk_seconds, row.jobs, row.active_seconds)
                for row in session.scalars(select(EffortDay))}
        drivers = {(row.day, row.driver, row.claims, row.jobs)
                   for row in session.scalars(select(EffortDriverDay))}
    return days, drivers


def _added_up_here(app: Flask) -> tuple[dict[tuple[Any, ...], tuple[int, ...]],
                                         set[tuple[Any, ...]]]:
    """The same sums, added up in Python from the records themselves."""
    factory = app.extensions["effortless"].session_factory
    sums: dict[tuple[Any, ...], list[int]] = {}
    drivers: Counter[tuple[Any, ...]] = Counter()
    driver_jobs: Counter[tuple[Any, ...]] = Counter()
    with factory() as session:
        records = {r.claim_id: r for r in session.scalars(select(ClaimEffort))}
        for record in records.values():
            key = (record.submitted_at.astimezone(UTC).date(), record.path, record.status,
                   record.touchless_decision)
            total = sums.setdefault(key, [0, 0, 0, 0, 0])
            for index, value in enumerate((
                    1, int(record.status in ("paid", "needs_review", "rejected",
                                             "info_requested", "approved")),
                    record.clerk_seconds, record.jobs, record.active_seconds)):
                total[index] += value
        for claim_id, driver in session.execute(select(EffortDriver.claim_id,
                                                       EffortDriver.driver)):
            key = (records[claim_id].submitted_at.astimezone(UTC).date(), driver)
            drivers[key] += 1
            driver_jobs[key] += records[claim_id].jobs
    return ({key: tuple(total) for key, total in sums.items()},
            {(*key, count, driver_jobs[key]) for key, count in drivers.items()})


def test_the_days_sums_follow_the_records_as_they_change(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    claims = _claims_on_two_days(app)
    effort_store.refresh(factory, settle=NOW)
    days, drivers = _days(app)
    assert (days, drivers) == _added_up_here(app)
    assert len({day for day, *_ in days}) == 2
    assert any(driver == "reason:passenger-statement" for _, driver, *_ in drivers)

    # A clerk decides the claim that waited: its record moves from one status to another,
    # and the sums with it (counted once, not on both).
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    with factory() as session:
        clerk = session.scalars(select(User.id)).one()
    review.take_claim(factory, claims[1], clerk)
    decisions.approve(factory, claims[1], clerk, amount=Decimal("19.75"))
    effort_store.refresh(factory, settle=NOW)
    after = _days(app)
    assert after == _added_up_here(app) and after[0] != days
    assert sum(sums[0] for sums in after[0].values()) == 3


def test_a_build_that_stops_half_way_leaves_its_days_to_the_next_refresh(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    _claims_on_two_days(app)
    effort_store.refresh(factory, settle=NOW, roll_up=False)  # as refresh_all's steps do
    with factory() as session:
        assert len(session.scalars(select(EffortDayDue.day)).all()) == 2
        assert session.scalar(select(func.count()).select_from(EffortDay)) == 0
    # Nothing new in the event log: the refresh still adds up the days left noted.
    assert effort_store.refresh(factory, settle=NOW) == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(EffortDayDue)) == 0
    assert _days(app) == _added_up_here(app)


def test_an_upgrade_adds_up_the_records_a_database_had_before(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    _claims_on_two_days(app)
    effort_store.refresh(factory, settle=NOW)
    kept = _days(app)
    engine = factory.kw["bind"]
    config = migrate.alembic_config()
    with for_writing(engine).connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")  # before the days' sums existed
    migrate.upgrade(engine)
    assert _days(app) == kept == _added_up_here(app)
