"""The report's time to money: to the payment file and to the bank's confirmation (a
pain.002 ACSC), a returned payment out of both and the one made again counted from the
original start, in English and German; the month buckets always give the day buckets'
figures."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from claims.db.models import MoneyTimeDay, MoneyTimeMonth, Operator, Payout, PayoutRun
from claims.operators import accounts
from claims.processing import money_times
from claims.processing.bank_feedback import give_new_account
from claims.reporting.effort_times import percentile
from claims.reporting.money_report import MoneyTimes, time_to_money
from claims.reporting.reports import ReportFilter, Times, days_in
from tests.helpers import create_operator, file_claim, load, run_worker, sign_in
from tests.records import arrival, rail_booking
from tools.bank_files import payment_status_report

NEW_IBAN = "DE44 5001 0517 5407 3249 31"


@pytest.fixture
def paid(app: Flask, runner: FlaskCliRunner) -> Any:
    """Anna Koch's compensation in a payout file, EFF-CLAIM-1; a manager to read it."""
    create_operator(app)
    runner.invoke(args=["operators", "configure", "test-rail", "--payout-account-name",
                        "Test Rail", "--payout-account-iban", "DE89370400440532013000"])
    load(app, [rail_booking("AAAA01", passenger={"name": "Anna Koch",
                                                 "email": "anna@example.org"})], [arrival()])
    file_claim(app, "AAAA01", "Koch")
    run_worker(app)
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "boss@example.org", "manager", "a-long-password")
    return factory


def _feedback(runner: FlaskCliRunner, tmp_path: Path, statuses: list[Any]) -> str:
    path = tmp_path / f"status-{len(list(tmp_path.iterdir()))}.xml"
    path.write_bytes(payment_status_report(statuses))
    result = runner.invoke(args=["payouts", "feedback", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _table(app: Flask, language: str = "en") -> str:
    client = app.test_client()
    client.get(f"/language/{language}")
    sign_in(client, "boss@example.org", "a-long-password")
    response = client.get("/reports/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = page[page.index('id="money-h"'):]
    return section[:section.index("</section>")]


def _buckets(factory: Any) -> list[tuple[str, int, int]]:
    with factory() as session:
        return [(row.measure, row.payouts, row.seconds) for row in session.scalars(
            select(MoneyTimeDay).where(MoneyTimeDay.payouts != 0)
            .order_by(MoneyTimeDay.measure))]


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.1f}"


def test_the_bank_s_acceptance_fills_the_confirmation_column(
        app: Flask, runner: FlaskCliRunner, paid: Any, tmp_path: Path) -> None:
    [(measure, count, to_file)] = _buckets(paid)
    assert (measure, count) == ("file", 1)
    english = _table(app)
    assert re.search(r"<th>Test Rail</th><td>filed, decided by the rules</td><td>1</td>"
                     rf"<td>{_hours(to_file)}</td><td>{_hours(to_file)}</td>"
                     r"<td>0</td><td>–</td><td>–</td></tr>", english), english
    assert "the bank has not yet confirmed any of these payments" in english
    german = _table(app, "de")
    assert "Von der Bank bestätigt" in german and "Bis zur Bestätigung, p50" in german
    assert "beantragt, nach den Regeln entschieden" in german
    assert "Die Bank hat noch keine dieser Zahlungen bestätigt" in german
    assert "touchless" not in english + german  # the path in words, never its code

    assert "1 confirmed" in _feedback(runner, tmp_path, [("EFF-CLAIM-1", "ACSC", None)])
    with paid() as session:
        payout = session.scalars(select(Payout)).one()
        run = session.get(PayoutRun, payout.run_id)
        assert run is not None and run.file_written_at and payout.confirmed_at
        assert payout.money_time_from is not None
        expected = (money_times.seconds_between(payout.money_time_from, run.file_written_at),
                    money_times.seconds_between(payout.money_time_from, payout.confirmed_at))
    assert _buckets(paid) == [("confirmed", 1, expected[1]), ("file", 1, expected[0])]
    # Never before the file; the same second when the bank's file comes in at once.
    assert expected[1] >= expected[0]
    english = _table(app)
    assert re.search(r"<td>1</td>"
                     rf"<td>{_hours(expected[0])}</td><td>{_hours(expected[0])}</td>"
                     rf"<td>1</td><td>{_hours(expected[1])}</td><td>{_hours(expected[1])}</td>",
                     english), english
    assert "none-confirmed" not in english
    # The same status report again counts nothing twice.
    _feedback(runner, tmp_path, [("EFF-CLAIM-1", "ACSC", None)])
    assert _buckets(paid) == [("confirmed", 1, expected[1]), ("file", 1, expected[0])]


def test_a_returned_payment_leaves_both_columns_and_the_one_made_again_counts_from_the_start(
        app: Flask, runner: FlaskCliRunner, paid: Any, tmp_path: Path) -> None:
    _feedback(runner, tmp_path, [("EFF-CLAIM-1", "ACSC", None)])
    assert "1 returned" in _feedback(runner, tmp_path, [("EFF-CLAIM-1", "RJCT", "AC04")])
    assert _buckets(paid) == []  # a returned payment is neither paid nor confirmed
    assert "No payment file written in this period." in _table(app)

    with paid() as session:
        claim_id, started = session.execute(select(Payout.claim_id, Payout.money_time_from)
                                            ).one()
    give_new_account(paid, claim_id, NEW_IBAN)
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    _feedback(runner, tmp_path, [("EFF-CLAIM-1-1", "ACSC", None)])
    with paid() as session:
        again = session.scalars(select(Payout).where(Payout.part == 1)).one()
        run = session.get(PayoutRun, again.run_id)
        assert run is not None and run.file_written_at and again.confirmed_at
        assert again.money_time_from == started  # the original start, not the new file's
        expected = [("confirmed", 1, money_times.seconds_between(started, again.confirmed_at)),
                    ("file", 1, money_times.seconds_between(started, run.file_written_at))]
    assert _buckets(paid) == expected
    with paid() as session:
        assert [(m.measure, m.payouts, m.seconds) for m in session.scalars(
            select(MoneyTimeMonth).where(MoneyTimeMonth.payouts != 0)
            .order_by(MoneyTimeMonth.measure))] == expected


# The property: a period's figures from whole months plus edge days are those of the days.

FIRST = date(2026, 1, 1)
# The days around each month's turn, where months and edge days meet, and any other.
TURNS = [offset for month in range(15) for first in (
    (FIRST.replace(year=2026 + month // 12, month=month % 12 + 1) - FIRST).days,)
         for offset in (first - 1, first, first + 1)]
some_day = st.sampled_from(TURNS) | st.integers(0, 420)
payments = st.lists(st.tuples(
    some_day,  # the file's day, from FIRST
    st.sampled_from(("op-a", "op-b")), st.sampled_from(("touchless", "proactive")),
    st.sampled_from((money_times.TO_FILE, money_times.TO_CONFIRMATION)),
    st.integers(0, 30 * 86_400),  # seconds to money
    st.booleans()),  # sent back by the bank later
    min_size=1, max_size=120)
offsets = st.none() | some_day | st.integers(-10, 430)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments, offsets, offsets, st.sampled_from((None, "op-a")))
def test_months_and_edge_days_give_the_days_figures(
        app: Flask, made: list[tuple[int, str, str, str, int, bool]], start: int | None,
        end: int | None, operator: str | None) -> None:
    factory = app.extensions["effortless"].session_factory
    ids = _operators(app)
    with factory.begin() as session:
        session.execute(delete(MoneyTimeDay))
        session.execute(delete(MoneyTimeMonth))
    # A payment on every day around a month's turn, whatever else is drawn: a period's
    # edge read a day off shows in its count.
    made = [*made, *((day, ("op-a", "op-b")[day % 2], "touchless", money_times.TO_FILE,
                      day * 7919 % (30 * 86_400), False) for day in TURNS)]
    # As payout files and the bank's feedback keep them: added, then some taken out.
    for sign, chosen in ((1, made), (-1, [m for m in made if m[5]])):
        changes: Counter[money_times.Key] = Counter()
        sums: Counter[money_times.Key] = Counter()
        for day, slug, path, measure, seconds, _returned in chosen:
            key = (FIRST + timedelta(days=day), ids[slug], "eu-rail", path, measure,
                   money_times.bucket_of_seconds(seconds))
            changes[key] += sign
            sums[key] += sign * seconds
        with factory.begin() as session:
            money_times.add_to_buckets(session, changes, sums)
    wanted = ReportFilter(
        start=None if start is None else FIRST + timedelta(days=start),
        end=None if end is None else FIRST + timedelta(days=end), operator=operator)
    assert _months_hold_the_days(factory)
    assert sorted(time_to_money(factory, wanted), key=_order) \
        == sorted(_from_days_alone(factory, wanted), key=_order)


def _operators(app: Flask) -> dict[str, int]:
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        known = {slug: id_ for slug, id_ in session.execute(select(Operator.slug, Operator.id))}
    for slug in ("op-a", "op-b"):
        if slug not in known:
            create_operator(app, slug)
    with factory() as session:
        return {slug: id_ for slug, id_ in session.execute(select(Operator.slug, Operator.id))}


def _months_hold_the_days(factory: Any) -> bool:
    days: Counter[tuple[Any, ...]] = Counter()
    with factory() as session:
        for d in session.scalars(select(MoneyTimeDay)):
            key = (d.day.replace(day=1), d.operator_id, d.path, d.measure, d.bucket)
            days[(*key, "payouts")] += d.payouts
            days[(*key, "seconds")] += d.seconds
        months: Counter[tuple[Any, ...]] = Counter()
        for m in session.scalars(select(MoneyTimeMonth)):
            key = (m.month, m.operator_id, m.path, m.measure, m.bucket)
            months[(*key, "payouts")] += m.payouts
            months[(*key, "seconds")] += m.seconds
    return days == months


def _from_days_alone(factory: Any, wanted: ReportFilter) -> list[MoneyTimes]:
    """The read before the month buckets: every day of the period."""
    with factory() as session:
        rows = session.execute(
            select(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure, MoneyTimeDay.bucket,
                   func.sum(MoneyTimeDay.payouts), func.sum(MoneyTimeDay.seconds))
            .join(Operator, Operator.id == MoneyTimeDay.operator_id)
            .where(days_in(wanted, session, MoneyTimeDay))
            .group_by(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure,
                      MoneyTimeDay.bucket)
            .order_by(Operator.name, MoneyTimeDay.path, MoneyTimeDay.measure,
                      MoneyTimeDay.bucket)).all()
    counted: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = {}
    for name, path, measure, _bucket, count, seconds in rows:
        if count:
            counted.setdefault((name, path), {}).setdefault(measure, []).append(
                (int(count), int(seconds) / int(count)))
    return [MoneyTimes(name, path, sum(c for c, _m in measures.get("file", [])),
                       sum(c for c, _m in measures.get("confirmed", [])),
                       {measure: Times(percentile(b, 0.5), percentile(b, 0.9))
                        for measure, b in measures.items()})
            for (name, path), measures in counted.items()]


def _order(row: MoneyTimes) -> tuple[str, str]:
    return (row.operator, row.path)
