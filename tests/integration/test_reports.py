"""Effort records from a real claim's events, and the reports' figures over four effort
records written by hand, with every figure worked out by hand below."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, insert, select

from claims.clerks import decisions, review
from claims.db.models import (
    Booking,
    Claim,
    ClaimEffort,
    ClaimEvent,
    EffortDriver,
    EffortProgress,
    StartedClaim,
    User,
)
from claims.operators import accounts
from claims.passengers import answers, filing, status_view
from claims.processing.assessment import assess_claims
from claims.reporting import effort_catch_up, effort_days, effort_parallel, effort_store
from claims.reporting.reports import CostModel, ReportFilter, report, what_if
from tests.helpers import create_operator, load, sign_in
from tests.records import arrival, rail_booking

# A clerk second costs 0.01, a job 0.01, a payout 0.50.
MODEL = CostModel(clerk_per_hour=Decimal("36.00"), per_job=Decimal("0.01"),
                  per_payout=Decimal("0.50"))


def test_records_built_on_several_processes_are_those_built_in_one(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    if factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("builder processes write side by side only on PostgreSQL")
    create_operator(app)
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    references = ("AAAA01", "BBBB02", "CCCC03", "DDDD04", "EEEE05")
    load(app, [rail_booking(reference, passenger={"name": f"Anna Koch{index}"})
               for index, reference in enumerate(references)], [arrival()])
    with factory() as session:
        bookings = session.scalars(select(Booking.id).order_by(Booking.id)).all()
        clerk = session.scalars(select(User.id)).one()
    claims = []
    for index, booking in enumerate(bookings):
        filing.prepare_claim(factory, booking)
        statement = "It was later" if index % 2 else None
        claims.append(filing.submit_claim(factory, booking, filing.ClaimInput(
            f"Anna Koch{index}", None, None, statement, "en"),
            effort={"keystrokes": index}).claim_id)
    assess_claims(factory, claims)
    review.take_claim(factory, claims[1], clerk)
    decisions.approve(factory, claims[1], clerk, amount=Decimal("19.75"))

    def records() -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
        with factory() as session:
            rows = session.scalars(select(ClaimEffort).order_by(ClaimEffort.claim_id)).all()
            drivers = session.execute(select(EffortDriver.claim_id, EffortDriver.driver)
                                      .order_by(EffortDriver.claim_id, EffortDriver.driver))
            return ([{column.key: getattr(row, column.key)
                      for column in ClaimEffort.__table__.columns} for row in rows],
                    [tuple(driver) for driver in drivers])

    # One claim a slice: five slices on two processes.
    with effort_parallel.builder(factory, 2, smallest_slice=1) as build:
        assert effort_store.refresh(factory, settle=timedelta(0), build=build) == 5
    built_side_by_side = records()
    # What the refresh did meanwhile, in its own transaction, and the days it added up after.
    with factory() as session:
        started = session.execute(select(StartedClaim.booking_id, StartedClaim.filed)
                                  .order_by(StartedClaim.booking_id)).all()
    assert [tuple(row) for row in started] == [(booking, True) for booking in bookings]
    assert report(factory, ReportFilter(), MODEL).claims == 5
    with factory.begin() as session:
        effort_store.rebuild(session, claims)
    assert [r["claim_id"] for r in built_side_by_side[0]] == sorted(claims)
    assert built_side_by_side == records()
    assert (claims[1], "reason:passenger-statement") in built_side_by_side[1]


def test_catch_up_command_builds_the_records_of_the_events_logged(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"}),
               rail_booking("BBBB02", passenger={"name": "Ben Koch"})], [arrival()])
    with factory() as session:
        bookings = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    for booking in bookings:
        filing.submit_claim(factory, booking, filing.ClaimInput(
            "Anna Koch" if booking == bookings[0] else "Ben Koch", None, None, None, "en"),
            effort={})

    result = app.test_cli_runner().invoke(args=["effort", "catch-up", "--processes", "2"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"2 effort records built in \d+\.\d s\n", result.output)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ClaimEffort)) == 2
    rejected = app.test_cli_runner().invoke(args=["effort", "catch-up", "--processes", "0"])
    assert rejected.exit_code == 2 and "0 is not in the range x>=1" in rejected.output


def test_a_page_does_not_wait_for_a_catch_up_in_progress(app: Flask,
                                                          client: FlaskClient) -> None:
    factory = app.extensions["effortless"].session_factory
    if factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite locks no rows: there every writer takes its turn")
    create_operator(app)
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"})], [arrival()])
    with factory() as session:
        booking = session.scalars(select(Booking.id)).one()
    effort_store.refresh(factory, settle=timedelta(0))  # the mark's row, as migrations leave it
    filing.submit_claim(factory, booking, filing.ClaimInput(
        "Anna Koch", None, None, None, "en"), effort={})
    sign_in(client, "boss@example.org", "a-long-password")

    def records() -> int:
        with factory() as session:
            return session.scalar(select(func.count()).select_from(ClaimEffort)) or 0

    answers: list[Any] = []

    def page_and_catch_up() -> None:
        answers.append(effort_store.refresh(factory, settle=timedelta(0), wait=False))
        answers.append(client.get("/reports/").status_code)

    with factory.begin() as sweeper:  # a sweeper's refresh holds the mark
        sweeper.execute(select(EffortProgress).with_for_update())
        # In a thread: were it to wait for the lock this test holds, it would wait forever.
        waiting = threading.Thread(target=page_and_catch_up, daemon=True)
        waiting.start()
        waiting.join(timeout=20)
        assert not waiting.is_alive(), "the page waited for the sweeper's lock"
        assert answers == [0, 200]
        assert records() == 0
    # The mark free again, the same catch-up builds the record.
    assert effort_store.refresh(factory, settle=timedelta(0), wait=False) == 1
    assert records() == 1


def test_effort_records_follow_the_event_log(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    accounts.create_user(factory, "clerk@example.org", "clerk", "a-long-password")
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"}),
               rail_booking("BBBB02", passenger={"name": "Ben Koch"}),
               rail_booking("CCCC03", passenger={"name": "Cem Koch"})], [arrival()])
    with factory() as session:
        booking_a, booking_b, booking_c = session.scalars(
            select(Booking.id).order_by(Booking.id)).all()
        clerk = session.scalars(select(User.id)).one()
    filing.prepare_claim(factory, booking_a)  # the form is shown
    filing.prepare_claim(factory, booking_c)  # ... and never sent
    a = filing.submit_claim(factory, booking_a, filing.ClaimInput(
        "Anna Koch", None, None, None, "en"), effort={"keystrokes": 3}).claim_id
    b = filing.submit_claim(factory, booking_b, filing.ClaimInput(
        "Ben Koch", None, None, "It was later", "en"), effort={}).claim_id
    assess_claims(factory, [a, b])
    review.take_claim(factory, b, clerk)
    decisions.request_info(factory, b, clerk, ["statement"])
    answers.provide_info(factory, b, answers.InfoAnswer(statement="Two hours"))
    review.take_claim(factory, b, clerk)
    decisions.approve(factory, b, clerk, amount=Decimal("19.75"))
    assert effort_catch_up.refresh_all(factory) == 2

    with factory() as session:
        records = {r.claim_id: r for r in session.scalars(select(ClaimEffort))}
        drivers = set(session.execute(select(EffortDriver.claim_id, EffortDriver.driver)))
    assert (records[a].path, records[a].touchless_decision, records[a].fields_shown,
            records[a].fields_prefilled, records[a].keystrokes) == ("touchless", True, 4, 1, 3)
    assert (records[b].path, records[b].touchless_decision, records[b].info_requests,
            records[b].touches, records[b].clerks, records[b].status) == (
        "clerk", False, 1, 2, 1, "approved")
    # The statement B typed is the reason passenger-statement: one driver, not two.
    assert drivers == {(b, "reason:passenger-statement"), (b, "asked:statement")}
    # Two forms opened (A, C), one of them never filed; B was filed without its form.
    figures = report(factory, ReportFilter(), MODEL)
    assert (figures.started, figures.abandoned) == (2, 1)

    # Idempotent: nothing new, nothing changes; a new event updates its claim's record.
    assert effort_catch_up.refresh_all(factory) == 0
    status_view.claim_view(factory, a, language="en")  # a status look-up
    assert effort_catch_up.refresh_all(factory) == 1
    with factory() as session:
        assert session.get(ClaimEffort, a).contacts == 1  # type: ignore[union-attr]


def test_a_form_filed_after_a_catch_up_is_no_longer_abandoned(app: Flask) -> None:
    """The form opened before one catch-up and filed before the next: the second marks
    the started claim filed (the first wrote it unfiled); a claim filed without its form
    shown starts nothing."""
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"}),
               rail_booking("BBBB02", passenger={"name": "Ben Koch"})], [arrival()])
    with factory() as session:
        booking_a, booking_b = session.scalars(select(Booking.id).order_by(Booking.id)).all()
    filing.prepare_claim(factory, booking_a)
    effort_catch_up.refresh_all(factory)
    assert (report(factory, ReportFilter(), MODEL).started,
            report(factory, ReportFilter(), MODEL).abandoned) == (1, 1)

    filing.submit_claim(factory, booking_a, filing.ClaimInput(
        "Anna Koch", None, None, None, "en"), effort={})
    filing.submit_claim(factory, booking_b, filing.ClaimInput(
        "Ben Koch", None, None, None, "en"), effort={})
    assert effort_catch_up.refresh_all(factory) == 2
    figures = report(factory, ReportFilter(), MODEL)
    assert (figures.started, figures.abandoned) == (1, 0)


RECORDS: list[dict[str, Any]] = [
    # 1: straight through, approved and paid: 4 jobs + a payout = 0.54
    dict(path="touchless", status="paid", day=17, decision_seconds=10, payout_seconds=86400,
         touchless_decision=True, touchless_payout=True, paid=True, amount="19.75",
         clerk_seconds=0, jobs=4, active_seconds=60, contacts=1, info_requests=0,
         ces_score=7, reason_codes=None, drivers=[]),
    # 2: straight through, rejected: 2 jobs = 0.02
    dict(path="touchless", status="rejected", day=18, decision_seconds=20,
         payout_seconds=None, touchless_decision=True, touchless_payout=False, paid=False,
         amount="0.00", clerk_seconds=0, jobs=2, active_seconds=120, contacts=0,
         info_requests=0, ces_score=3, reason_codes=None, drivers=[]),
    # 3: a clerk, 10 minutes, approved and paid: 6.00 + 0.05 + 0.50 = 6.55
    dict(path="clerk", status="paid", day=19, decision_seconds=3600, payout_seconds=172800,
         touchless_decision=False, touchless_payout=False, paid=True, amount="19.75",
         clerk_seconds=600, jobs=5, active_seconds=300, contacts=2, info_requests=1,
         ces_score=5, reason_codes="passenger-statement",
         drivers=["reason:passenger-statement", "asked:statement"]),
    # 4: waiting for a clerk, over the limit, the week before: 1 job = 0.01
    dict(path="clerk", status="needs_review", day=10, decision_seconds=None,
         payout_seconds=None, touchless_decision=False, touchless_payout=False, paid=False,
         amount="700.00", clerk_seconds=0, jobs=1, active_seconds=90, contacts=0,
         info_requests=0, ces_score=None, reason_codes="amount-over-limit",
         drivers=["reason:amount-over-limit"]),
]


@pytest.fixture
def four_records(app: Flask) -> list[int]:
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    with factory.begin() as session:
        operator_id = session.scalar(select(accounts.Operator.id))
        ids = []
        for record in RECORDS:
            claim = Claim(operator_id=operator_id, regime="eu-rail", status=record["status"],
                          passenger_name="Hand Made", submitted_at=_day(record["day"]),
                          currency="EUR")
            session.add(claim)
            session.flush()
            ids.append(claim.id)
            values = {k: v for k, v in record.items() if k not in ("day", "drivers")}
            session.execute(insert(ClaimEffort).values(
                claim_id=claim.id, operator_id=operator_id, regime="eu-rail",
                submitted_at=_day(record["day"]), fields_shown=4, fields_prefilled=2,
                fields_typed=1, fields_changed=0, keystrokes=None, clicks=None,
                validation_errors=0, submit_attempts=1, uploads=0, appeals=0, touches=0,
                clerks=0, handovers=0, last_event_id=0,
                **{**values, "amount": Decimal(values["amount"])}))
            for driver in record["drivers"]:
                session.execute(insert(EffortDriver).values(claim_id=claim.id, driver=driver))
        # Records made by hand, not by the store: their days are added up as it would.
        effort_days.roll_up(session, ids)
    return ids


def _day(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=UTC)


def test_the_report_figures_match_the_hand_count(app: Flask, four_records: list[int]) -> None:
    figures = report(app.extensions["effortless"].session_factory, ReportFilter(), MODEL)
    assert figures.claims == 4
    assert figures.straight_through_decision == 2 / 4   # 1 and 2, of all four assessed
    assert figures.straight_through_payout == 1 / 2     # 1, of the paid 1 and 3
    assert figures.total_cost == Decimal("7.12")        # 0.54 + 0.02 + 6.55 + 0.01
    assert (figures.decision_time.p50, figures.decision_time.p90) == (20, 2884)
    assert figures.payout_time.p50 == (86400 + 172800) / 2

    paths = {p.path: p for p in figures.paths}
    assert (paths["touchless"].claims, paths["touchless"].cost) == (2, Decimal("0.28"))
    assert (paths["touchless"].ces_mean, paths["touchless"].ces_top_box) == (5.0, 0.5)
    assert paths["clerk"].cost == Decimal("3.28")       # (6.55 + 0.01) / 2
    assert paths["clerk"].clerk_minutes == 5.0          # 600 s over 2 claims

    # Cost of complexity: each claim's cost - 0.28 (a touchless claim's), shared among its
    # drivers. Claim 3: 6.55 - 0.28 = 6.27, two drivers: 3.135 each (counted whole, each
    # had 6.27: 12.54 in all, more than the total cost of 7.12). Claim 4: 0.01 - 0.28.
    ranked = [(d.driver, d.claims, d.mean_cost, d.cost_of_complexity)
              for d in figures.drivers]
    assert ranked == [("asked:statement", 1, Decimal("6.55"), Decimal("3.135")),
                      ("reason:passenger-statement", 1, Decimal("6.55"), Decimal("3.135")),
                      ("reason:amount-over-limit", 1, Decimal("0.01"), Decimal("-0.27"))]
    assert sum(d.cost_of_complexity for d in figures.drivers) == Decimal("6.00")
    # Passenger minutes: 5.0 with it, 1.5 on a touchless claim: 3.5, shared by two.
    assert figures.drivers[1].passenger_minutes == pytest.approx(1.75)
    # Claim 4: 1.5 min against 1.5: none.
    assert figures.drivers[2].passenger_minutes == pytest.approx(0)

    # Per claim on each path: typed fields, passenger minutes, contacts, requests, CES.
    assert (paths["touchless"].typed_fields, paths["touchless"].active_minutes,
            paths["touchless"].contacts, paths["touchless"].info_requests) == (1, 1.5, 0.5, 0)
    assert (paths["clerk"].typed_fields, paths["clerk"].active_minutes,
            paths["clerk"].contacts, paths["clerk"].info_requests) == (1, 3.25, 1, 0.5)
    assert (paths["clerk"].ces_mean, paths["clerk"].ces_top_box,
            paths["clerk"].ces_answers) == (5.0, 1.0, 1)  # one answer: 5, in the top box

    assert [(w.start.isoformat(), w.claims) for w in figures.weeks] == [
        ("2026-11-09", 1), ("2026-11-16", 3)]
    assert figures.weeks[1].straight_through == 2 / 3
    assert [(w.straight_through, w.mean_cost, w.ces_mean) for w in figures.weeks] == [
        (0.0, Decimal("0.01"), None), (2 / 3, Decimal("7.11") / 3, 5.0)]
    assert (figures.first_day, figures.last_day) == (_day(10).date(), _day(19).date())


def test_filters_narrow_the_report(app: Flask, four_records: list[int]) -> None:
    factory = app.extensions["effortless"].session_factory
    week = report(factory, ReportFilter(start=_day(16).date(), end=_day(22).date()), MODEL)
    assert week.claims == 3 and week.total_cost == Decimal("7.11")
    assert report(factory, ReportFilter(regime="eu-air"), MODEL).claims == 0
    assert report(factory, ReportFilter(operator="test-rail"), MODEL).claims == 4
    assert report(factory, ReportFilter(operator="nobody"), MODEL).claims == 0


def test_what_if_replays_the_claims_through_another_policy(
        app: Flask, four_records: list[int]) -> None:
    factory = app.extensions["effortless"].session_factory
    statement_off = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=None,
                            rules_off=["passenger-statement"])
    assert statement_off.today.straight_through == 0.5
    # Today: 1.12 of jobs and payouts, claim 3's 10 min (6.00), and claim 4, still waiting,
    # the 10 min a handled claim takes today (6.00): it will cost that unless freed.
    assert statement_off.today.cost == Decimal("13.12")
    assert statement_off.clerk_minutes_per_claim == 10
    # The report's 7.12, nothing left out (all four assessed, each on a booking), plus the
    # 6.00 estimated for claim 4: the page says so, the two figures never silently differ.
    reconciled = statement_off.reconciled
    assert reconciled is not None
    assert (reconciled.report_cost, reconciled.left_out_claims, reconciled.left_out_cost,
            reconciled.waiting_claims, reconciled.estimated_cost) == (
        Decimal("7.12"), 0, Decimal("0"), 1, Decimal("6.00"))
    assert (statement_off.changed.straight_through, statement_off.claims_freed) == (0.75, 1)
    assert statement_off.changed.cost == Decimal("7.12")  # claim 3's 6.00 of clerk time
    assert statement_off.changed.info_requests == 0
    assert [(m.kind, m.claims, m.estimated) for m in statement_off.moves] == [("freed", 1, 0)]
    higher = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=Decimal("800"),
                     rules_off=[])
    assert (higher.changed.straight_through, higher.claims_freed) == (0.75, 1)
    # Freeing the waiting claim moves cost and clerk hours too, not only the share.
    assert higher.changed.cost == Decimal("7.12")
    assert higher.changed.clerk_hours == pytest.approx(higher.today.clerk_hours - 1 / 6)
    assert [(m.kind, m.claims, m.estimated) for m in higher.moves] == [("freed", 1, 1)]
    lower = what_if(factory, ReportFilter(), MODEL, auto_approve_limit=Decimal("10"),
                    rules_off=[])
    assert lower.claims_added == 1  # claim 1, 19.75 over a 10.00 limit


def test_a_manager_reads_filters_exports_and_what_ifs_the_report(
        app: Flask, client: FlaskClient, four_records: list[int]) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    sign_in(client, "boss@example.org", "a-long-password")
    page = client.get("/reports/").get_data(as_text=True)
    assert '<td id="straight-through">50.0 %</td>' in page
    assert "<svg" in page and "Cost of complexity by driver" in page
    assert "a clerk hour 42.00 EUR" in page  # the cost model in force is stated
    german = client.get("/reports/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # Every figure as a German reader writes it: shares, rates, chart ticks and tooltips.
    assert '<td id="straight-through">50,0 %</td>' in german
    assert "eine Sachbearbeiterstunde 42,00 EUR, ein Systemauftrag 0,002 EUR" in german
    assert not re.search(r"\d\.\d+ (EUR|%|min|h)\b", german.split("<svg", 1)[0])
    assert not re.search(r"<title>[^<]*\d\.\d\d EUR</title>", german)
    narrowed = client.get("/reports/?start=2026-11-16&end=2026-11-22").get_data(as_text=True)
    assert '<td id="claims">3</td>' in narrowed
    assert client.get("/reports/?start=yesterday").status_code == 400
    assert client.get("/reports/?start=2026-11-22&end=2026-11-01").status_code == 400

    pdf = client.get("/reports/report.pdf?start=2026-11-16")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    exported = client.get("/reports/effort.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][0] == "claim_id" and len(rows) == 5
    # For a BI tool: the operator by its slug, the amount's currency, each claim's cost by
    # the page's cost model (claim 3: 10 clerk minutes at 42.00 an hour 7.00, 5 jobs at
    # 0.002, a payout 0.15: 7.16), adding up to the page's total cost (7.324).
    exported_rows = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    third = exported_rows[2]
    assert (third["operator"], third["amount"], third["currency"]) == (
        "test-rail", "19.75", "EUR")
    assert (third["cost"], third["cost_currency"]) == ("7.16000000", "EUR")
    assert "operator_id" not in rows[0]
    assert sum(Decimal(row["cost"]) for row in exported_rows) == Decimal("7.324")

    what = client.get("/reports/what-if?off=passenger-statement").get_data(as_text=True)
    assert '<td id="changed-straight-through">75.0 %</td>' in what
    # At 42.00 an hour: the report's 7.32, plus claim 4's 10 minutes estimated (7.00).
    assert ("is the report\u2019s total cost for these claims (7.32 EUR), less what the "
            "claims the replay leaves out cost (0.00 EUR: 0 without a booking or not yet "
            "assessed), plus the clerk time estimated, at what a handled claim takes today, "
            "for the claims still waiting for a clerk (7.00 EUR for 1 waiting).") in what
    assert client.get("/reports/what-if?limit=lots").status_code == 400
    compared = client.get("/reports/what-if.pdf?off=passenger-statement")
    assert compared.status_code == 200 and compared.data.startswith(b"%PDF-")
    assert client.get("/reports/what-if.pdf?limit=-5").status_code == 400


def test_charts_say_what_they_show_and_comparisons_why_figures_move(
        app: Flask, client: FlaskClient, four_records: list[int]) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    sign_in(client, "boss@example.org", "a-long-password")
    page = client.get("/reports/").get_data(as_text=True)
    # Titles, labelled axes with units, a takeaway under each chart.
    for text in ("Cost of complexity, EUR", "Running share of the total, %",
                 "Driver (largest first)", "Week starting", "Claims decided without a person, %",
                 "Mean cost per claim, EUR"):
        assert text in page, text
    assert page.count("<figcaption>") == 3
    # The page's rates (42.00 an hour, 0.002 a job, 0.15 a payout): claims 1-4 cost
    # 0.158, 0.004, 7.16 and 0.002 (7.324 in all); a touchless claim 0.081. Claim 3's
    # 7.079 shared by its two drivers: 3.5395 each, the first alone 50 %, both 100 % of
    # 7.08 -- which never exceeds the total cost (counted whole: 14.16 of 7.32).
    assert ("2 of 2 drivers cause 100 % of the cost of complexity: 7.08 EUR of 7.08 EUR "
            "(all claims together cost 7.32 EUR). Start there.") in page
    # Claim 4 cost 0.002 against a touchless claim's 0.081: said in words, not as -0.08.
    assert "saves 0.08 EUR" in page and 'id="drivers-save"' in page
    assert "-0.08" not in page and "\u22120.08" not in page
    assert "Straight-through share: 0 % in the first complete week, 67 % in the last." in page
    # A period that cuts the week of 9 November: only the complete week is compared.
    cut = client.get("/reports/?start=2026-11-10").get_data(as_text=True)
    assert ("Straight-through share: 67 %, in the one complete week with claims. The week "
            "of 9 November 2026 is not complete and is left out.") in cut
    assert "2026-11-09 (not a complete week)" in cut
    german = client.get("/reports/?start=2026-11-10",
                        headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ("2 von 2 Treibern verursachen 100 % der Kosten der Komplexität: 7,08 EUR von "
            "7,08 EUR (alle Anträge zusammen kosten 7,32 EUR). Dort anfangen.") in german
    assert "spart 0,08 EUR" in german and "(keine vollständige Woche)" in german
    assert "Die Woche vom 9. November 2026 ist nicht vollständig und bleibt außen vor." in german
    compared = client.get("/reports/what-if?limit=800",
                          headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Gesamtkosten dieser Anträge laut Bericht (7,32 EUR)" in compared
    assert "reason: passenger&#39;s statement" in page  # drivers in words
    # A PDF without a period names the days its claims were filed.
    pdf = client.get("/reports/report.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    assert "Period: all claims, filed 10 November 2026 to 19 November 2026" in text
    assert "…" not in text.split("Operator")[0]

    empty = client.get("/reports/what-if?limit=")
    assert empty.status_code == 400
    assert "Enter an auto-approve limit or choose a rule to switch off" in empty.get_data(
        as_text=True)
    what = client.get("/reports/what-if?limit=800").get_data(as_text=True)
    assert re.search(r'for="off-passenger-statement">passenger(&#39;|\')s statement</label>',
                     what)
    assert ("1 of them still waits for a clerk: its time is estimated at 10.0 minutes, "
            "what a handled claim takes today") in what


def test_two_rebuilds_of_one_claim_wait_for_each_other(app: Flask) -> None:
    """The sweeper's refresh and the demo's window rebuild touched the same claim at once;
    each deleted the (absent) record and inserted it: a duplicate key on PostgreSQL."""
    factory = app.extensions["effortless"].session_factory
    create_operator(app)
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch"})], [arrival()])
    with factory() as session:
        booking = session.scalars(select(Booking.id)).one()
    claim = filing.submit_claim(factory, booking, filing.ClaimInput(
        "Anna Koch", None, None, None, "en"), effort={}).claim_id
    with factory() as session:
        newest = session.scalar(select(func.max(ClaimEvent.id)))
    first_started, failures = threading.Event(), []

    def second_rebuild() -> None:
        first_started.wait()
        try:
            effort_store.rebuild_window(factory, 0, newest)
        except Exception as error:  # the test reports what went wrong
            failures.append(error)

    other = threading.Thread(target=second_rebuild, daemon=True)  # a failure never hangs the run
    other.start()
    with factory.begin() as session:
        effort_store.locked_progress(session)
        effort_store.rebuild(session, [claim])
        first_started.set()
        other.join(timeout=1)  # it must wait for this transaction, not race it
        assert other.is_alive()
    other.join(timeout=30)
    assert not other.is_alive() and failures == []
    with factory() as session:
        assert session.scalars(select(ClaimEffort.claim_id)).all() == [claim]
