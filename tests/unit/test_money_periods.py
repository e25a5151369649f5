"""A report period as the time-to-money read takes it: whole months from the month
buckets, the days of the months it cuts through from the day buckets; every day of the
period once, none outside it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from claims.reporting.money_report import PeriodSplit, split_period

DAYS = st.dates(min_value=date(2025, 11, 1), max_value=date(2027, 2, 28))
WORLD = (date(2025, 10, 1), date(2027, 3, 31))  # every day the drawn periods can touch


def test_a_period_is_whole_months_and_the_edge_days() -> None:
    assert split_period(date(2026, 1, 15), date(2026, 4, 10)) == PeriodSplit(
        (date(2026, 2, 1), date(2026, 4, 1)),
        ((date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))))
    assert split_period(date(2026, 1, 1), date(2026, 3, 31)) == PeriodSplit(
        (date(2026, 1, 1), date(2026, 4, 1)), ())
    assert split_period(date(2026, 1, 5), date(2026, 2, 20)) == PeriodSplit(
        None, ((date(2026, 1, 5), date(2026, 2, 20)),))
    assert split_period(None, None) == PeriodSplit((None, None), ())
    assert split_period(None, date(2026, 2, 10)) == PeriodSplit(
        (None, date(2026, 2, 1)), ((date(2026, 2, 1), date(2026, 2, 10)),))
    assert split_period(date(2026, 12, 31), None) == PeriodSplit(
        (date(2027, 1, 1), None), ((date(2026, 12, 31), date(2026, 12, 31)),))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@given(st.none() | DAYS, st.none() | DAYS)
def test_every_day_of_the_period_is_read_once(start: date | None, end: date | None) -> None:
    split = split_period(start, end)
    read: list[date] = []
    for first, last in split.days:
        read += _days(first or WORLD[0], last or WORLD[1])
    if split.months is not None:
        first_month, after = split.months
        assert first_month is None or first_month.day == 1
        assert after is None or after.day == 1
        read += [day for day in _days(*WORLD) if (first_month is None or day >= first_month)
                 and (after is None or day < after)]
    wanted = [day for day in _days(*WORLD)
              if (start is None or day >= start) and (end is None or day <= end)]
    assert sorted(read) == wanted
