"""Regulation (EU) 2021/782, Art. 19: every threshold on both sides, every cause."""

from datetime import datetime
from decimal import Decimal

import pytest

from claims.core.rules import eu_rail
from claims.core.rules.causes import CAUSES, EU_RAIL_FORCE_MAJEURE
from claims.core.rules.journey_input import SeasonPolicy
from tests.unit.rules.helpers import fare, late


@pytest.mark.parametrize(("minutes", "eligible", "percent", "amount", "rule"), [
    (0, False, None, "0.00", "eu-rail.19-1"),
    (59, False, None, "0.00", "eu-rail.19-1"),
    (60, True, 25, "9.98", "eu-rail.19-1-a"),
    (65, True, 25, "9.98", "eu-rail.19-1-a"),
    (119, True, 25, "9.98", "eu-rail.19-1-a"),
    (120, True, 50, "19.95", "eu-rail.19-1-b"),
    (600, True, 50, "19.95", "eu-rail.19-1-b"),
])
def test_delay_bands(minutes: int, eligible: bool, percent: int | None, amount: str,
                     rule: str) -> None:
    result = eu_rail.assess(late(minutes))
    assert (result.eligible, result.percent, result.amount, result.rule) == (
        eligible, percent, Decimal(amount), rule)
    assert result.delay_minutes == minutes
    assert result.currency == "EUR"


def test_the_contract_example() -> None:
    result = eu_rail.assess(late(65))
    assert result.legal_basis == "Regulation (EU) 2021/782, Art. 19(1)(a)"
    assert result.explanation_en == "Arrived 65 minutes late: 25 % of the 39.90 EUR ticket price."
    assert result.explanation_de == ("65 Minuten verspätet angekommen: 25 % des Fahrpreises "
                                     "von 39,90 EUR.")  # the German decimal comma


@pytest.mark.parametrize(("price", "kind", "leg", "percent_of", "amount"), [
    ("39.90", "single", None, "39.90", "9.98"),     # 9.975 rounds half up
    ("0.02", "single", None, "0.02", "0.01"),       # 0.005 rounds half up
    ("79.00", "return", None, "39.50", "9.88"),     # half the return: 9.875 -> 9.88
    ("79.00", "return", "49.00", "49.00", "12.25"),  # the delayed leg priced apart
])
def test_price_basis_and_rounding_half_up_once(price: str, kind: str, leg: str | None,
                                               percent_of: str, amount: str) -> None:
    journey = late(60, fare=fare(price, kind), leg_amount=Decimal(leg) if leg else None,
                   minimum_payout=Decimal("0"))
    assert eu_rail.price_basis(journey) == Decimal(percent_of)
    assert eu_rail.assess(journey).amount == Decimal(amount)


def test_rounding_happens_once_at_the_end() -> None:
    # 50 % of half of 10.05 is 2.5125 -> 2.51; rounding the half first (5.03) gives 2.52.
    journey = late(130, fare=fare("10.05", "return"), minimum_payout=Decimal("0"))
    assert eu_rail.assess(journey).amount == Decimal("2.51")


@pytest.mark.parametrize(("threshold", "price", "eligible", "rule"), [
    ("4.00", "15.96", False, "eu-rail.19-8"),   # 3.99 is under 4.00
    ("4.00", "16.00", True, "eu-rail.19-1-a"),  # 4.00 equals the threshold: paid
    ("4.00", "15.98", True, "eu-rail.19-1-a"),  # 3.995 rounds to 4.00: paid
    ("2.50", "10.00", True, "eu-rail.19-1-a"),  # an operator's lower threshold
    ("0.00", "0.04", True, "eu-rail.19-1-a"),
])
def test_minimum_payout_under_versus_equal(threshold: str, price: str, eligible: bool,
                                           rule: str) -> None:
    result = eu_rail.assess(late(60, fare=fare(price), minimum_payout=Decimal(threshold)))
    assert (result.eligible, result.rule) == (eligible, rule)
    if not eligible:
        assert result.amount == Decimal("0.00")
        assert "under the minimum payout of 4.00 EUR" in result.explanation_en


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_every_cause(cause: str) -> None:
    result = eu_rail.assess(late(130, cause=cause))
    exempt = cause in EU_RAIL_FORCE_MAJEURE
    assert result.eligible is not exempt
    assert result.rule == ("eu-rail.19-10" if exempt else "eu-rail.19-1-b")


def test_still_compensated_causes_are_those_the_rules_name() -> None:
    for cause in ("own-staff-strike", "technical", "infrastructure", "operator", "unknown"):
        assert cause not in EU_RAIL_FORCE_MAJEURE


def test_informed_before_purchase_excludes() -> None:
    result = eu_rail.assess(late(130, informed_before_purchase=True))
    assert (result.eligible, result.rule, result.amount) == (False, "eu-rail.19-9",
                                                             Decimal("0.00"))


@pytest.mark.parametrize(("pass_value", "flat", "minutes", "amount", "rule"), [
    ("400.00", "5.00", 60, "5.00", "eu-rail.19-2"),
    ("400.00", "5.00", 59, "0.00", "eu-rail.19-1"),
    ("400.00", "7.50", 200, "7.50", "eu-rail.19-2"),
    ("18.00", "5.00", 90, "4.50", "eu-rail.19-2"),  # capped at 25 % of the pass value
    ("12.00", "5.00", 90, "0.00", "eu-rail.19-8"),  # the cap (3.00) is under the minimum
])
def test_season_tickets_get_the_operators_flat_amount(pass_value: str, flat: str, minutes: int,
                                                     amount: str, rule: str) -> None:
    journey = late(minutes, fare=fare(pass_value, "season"),
                   season=SeasonPolicy(flat_amount=Decimal(flat), cap_percent=25))
    result = eu_rail.assess(journey)
    assert (result.amount, result.rule, result.percent) == (Decimal(amount), rule, None)


def test_delay_across_the_dst_switch_and_utc_offsets() -> None:
    scheduled = datetime.fromisoformat("2026-10-25T02:50:00+02:00")  # before the switch
    actual = datetime.fromisoformat("2026-10-25T03:49:00+01:00")     # 119 min later
    assert eu_rail.assess(late(0, scheduled_arrival=scheduled, actual_arrival=actual)
                          ).rule == "eu-rail.19-1-a"
    actual = datetime.fromisoformat("2026-10-25T02:50:00Z")          # 120 min later, UTC
    assert eu_rail.assess(late(0, scheduled_arrival=scheduled, actual_arrival=actual)
                          ).percent == 50
    across_border = datetime.fromisoformat("2026-03-02T13:44:00+02:00")  # 60 min, Helsinki
    assert eu_rail.assess(late(0, actual_arrival=across_border)).delay_minutes == 60


def test_unknown_arrival_is_not_due_and_says_why() -> None:
    result = eu_rail.assess(late(0, actual_arrival=None, cancelled=True))
    assert (result.eligible, result.rule, result.delay_minutes) == (
        False, "eu-rail.arrival-unknown", None)
