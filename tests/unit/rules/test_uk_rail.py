"""Delay Repay, DR15 and DR30: every band edge, single and return fares, any cause."""

from decimal import Decimal

import pytest

from claims.core.rules import uk_rail
from claims.core.rules.causes import CAUSES
from tests.unit.rules.helpers import fare, late


def uk(minutes: int, scheme: str = "DR15", price: str = "30.00", kind: str = "single"):
    return uk_rail.assess(late(minutes, regime="uk-rail", scheme=scheme,
                               fare=fare(price, kind, "GBP")))


@pytest.mark.parametrize(("scheme", "minutes", "percent", "amount", "rule"), [
    ("DR15", 14, None, "0.00", "uk-rail.DR15.none"),
    ("DR15", 15, 25, "7.50", "uk-rail.DR15.15"),
    ("DR15", 29, 25, "7.50", "uk-rail.DR15.15"),
    ("DR15", 30, 50, "15.00", "uk-rail.DR15.30"),
    ("DR15", 59, 50, "15.00", "uk-rail.DR15.30"),
    ("DR15", 60, 100, "30.00", "uk-rail.DR15.60"),
    ("DR15", 119, 100, "30.00", "uk-rail.DR15.60"),
    ("DR15", 120, 100, "30.00", "uk-rail.DR15.120"),  # a single: 100 % of the single
    ("DR30", 14, None, "0.00", "uk-rail.DR30.none"),
    ("DR30", 15, None, "0.00", "uk-rail.DR30.none"),
    ("DR30", 29, None, "0.00", "uk-rail.DR30.none"),
    ("DR30", 30, 50, "15.00", "uk-rail.DR30.30"),
    ("DR30", 60, 100, "30.00", "uk-rail.DR30.60"),
    ("DR30", 120, 100, "30.00", "uk-rail.DR30.120"),
])
def test_bands_on_a_single(scheme: str, minutes: int, percent: int | None, amount: str,
                           rule: str) -> None:
    result = uk(minutes, scheme)
    assert (result.percent, result.amount, result.rule) == (percent, Decimal(amount), rule)
    assert result.currency == "GBP"
    assert result.legal_basis == f"National Rail Conditions of Travel, Delay Repay ({scheme})"


@pytest.mark.parametrize(("minutes", "amount"), [
    (15, "5.13"),    # 25 % of the single (41.00 / 2 = 20.50): 5.125, half up
    (30, "10.25"),   # 50 % of the single
    (60, "20.50"),   # 100 % of the single
    (119, "20.50"),
    (120, "41.00"),  # 100 % of the return
])
def test_bands_on_a_return(minutes: int, amount: str) -> None:
    result = uk(minutes, price="41.00", kind="return")
    assert result.amount == Decimal(amount)


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_paid_whatever_the_cause(cause: str) -> None:
    result = uk_rail.assess(late(45, regime="uk-rail", cause=cause,
                                 fare=fare("30.00", "single", "GBP")))
    assert result.eligible and result.amount == Decimal("15.00")


def test_no_minimum_and_half_up_rounding() -> None:
    assert uk(15, price="0.10").amount == Decimal("0.03")  # 0.025 -> 0.03
    assert uk(15, price="0.02").amount == Decimal("0.01")  # 0.005 -> 0.01
