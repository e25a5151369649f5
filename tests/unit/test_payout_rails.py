"""The payout rails' pure parts: schedules, UK account checks, Standard 18 lines, the
time-to-money buckets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from claims.core.payout_schedule import ScheduleError, next_run_after, parse_schedule
from claims.core.uk_accounts import Problem, UkAccount, UkAccountError, check_uk_account
from claims.processing import money_times
from claims.processing.bacs_file import Standard18Payment, bacs_text, standard18
from claims.reporting import effort_times

BERLIN = ZoneInfo("Europe/Berlin")


def test_schedules_are_read_in_their_three_forms() -> None:
    assert str(parse_schedule("daily@14")) == "daily@14:00"
    assert str(parse_schedule(" Daily@7:30 ")) == "daily@07:30"
    assert str(parse_schedule("every:15")) == "every:15"
    assert str(parse_schedule("manual")) == "manual"
    for bad in ("hourly", "daily@24", "daily@12:60", "every:0", "every:1441", "every:x"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


def test_a_daily_cut_off_is_in_the_time_zone_and_today_while_ahead() -> None:
    daily = parse_schedule("daily@14")
    morning = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert next_run_after(daily, morning, BERLIN) == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    at_cut_off = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert next_run_after(daily, at_cut_off, BERLIN) == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    # Summer time: 14:00 in Berlin is 12:00 UTC.
    assert next_run_after(daily, datetime(2026, 7, 1, 6, 0, tzinfo=UTC), BERLIN) \
        == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_every_n_minutes_is_on_the_clock() -> None:
    every = parse_schedule("every:15")
    assert next_run_after(every, datetime(2026, 3, 2, 8, 7, 59, tzinfo=UTC), BERLIN) \
        == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert next_run_after(every, datetime(2026, 3, 2, 8, 15, tzinfo=UTC), BERLIN) \
        == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert next_run_after(parse_schedule("manual"), datetime.now(UTC), BERLIN) is None


def test_a_uk_account_passes_the_modulus_check() -> None:
    # Vocalink's published examples (validating account numbers, test cases).
    assert check_uk_account("08-99-99", "66374958") == UkAccount("089999", "66374958")
    assert check_uk_account("107999", "88837491") == UkAccount("107999", "88837491")
    assert check_uk_account("20 29 59", "6374-8472") == UkAccount("202959", "63748472")


def test_a_wrong_uk_account_says_what_is_wrong() -> None:
    with pytest.raises(UkAccountError) as modulus:
        check_uk_account("08-99-99", "66374959")  # one digit off
    assert modulus.value.problem is Problem.MODULUS
    with pytest.raises(UkAccountError) as sort_code:
        check_uk_account("08-99-9", "66374958")
    assert sort_code.value.problem is Problem.SORT_CODE_FORMAT
    with pytest.raises(UkAccountError) as account:
        check_uk_account("089999", "6637495A")
    assert account.value.problem is Problem.ACCOUNT_FORMAT


def test_standard_18_lines_have_fixed_positions() -> None:
    document = standard18(UkAccount("200000", "12345678"), "Demo Trains UK",
                          [Standard18Payment(UkAccount("089999", "66374958"), Decimal("12.35"),
                                             "EFF-CLAIM-42", "Zoë O'Brien-Smith & Co")])
    line = document.decode("ascii").removesuffix("\r\n")
    assert len(line) == 100
    assert line[0:6] == "089999" and line[6:14] == "66374958"
    assert line[14:17] == "099"
    assert line[17:23] == "200000" and line[23:31] == "12345678"
    assert line[35:46] == "00000001235"
    assert line[46:64] == "DEMO TRAINS UK    "
    assert line[64:82] == "EFF-CLAIM-42      "
    assert line[82:100] == "ZOE O BRIEN-SMITH "


def test_bacs_text_keeps_only_its_character_set() -> None:
    assert bacs_text("Jürgen Müller-Lüdenscheidt", 18) == "JURGEN MULLER-LUDE"
    assert bacs_text("a\tb;c", 6) == "A B C "


def test_money_time_buckets_are_exact_below_100_s_and_5_percent_wide_above() -> None:
    assert money_times.EXACT_BELOW == effort_times.EXACT_BELOW
    assert money_times.bucket_of_seconds(99) == 99
    assert money_times.bucket_of_seconds(100) == 100
    assert money_times.bucket_of_seconds(104) == 100
    assert money_times.bucket_of_seconds(105) == 101
    day = money_times.bucket_of_seconds(86_400)
    low, high = (100 * 1.05 ** (day - 100), 100 * 1.05 ** (day - 99))
    assert low <= 86_400 < high
