"""The one policy for every amount: who must look before it is paid."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from claims.core.approvals import AmountLimits, may_give_second_approval, persons_needed

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


def test_the_limits_in_words() -> None:
    limits = AmountLimits(auto_approve=Decimal("600.00"),
                          second_approval_above=Decimal("1000.00"))
    assert persons_needed(Decimal("600.00"), limits) == 0
    assert persons_needed(Decimal("600.01"), limits) == 1
    assert persons_needed(Decimal("1000.00"), limits) == 1
    assert persons_needed(Decimal("1000.01"), limits) == 2
    # An automatic limit above the four-eyes one never lets a machine pay what one clerk
    # alone may not.
    high = AmountLimits(auto_approve=Decimal("5000.00"), second_approval_above=Decimal("600.00"))
    assert persons_needed(Decimal("1000.00"), high) == 2


@given(amounts, amounts, amounts, amounts)
def test_more_money_never_needs_fewer_persons(a: Decimal, b: Decimal, auto: Decimal,
                                              second: Decimal) -> None:
    limits = AmountLimits(auto, second)
    low, high = sorted((a, b))
    assert persons_needed(low, limits) <= persons_needed(high, limits)


@given(amounts, amounts, amounts, amounts)
def test_a_higher_limit_never_adds_clerk_work(amount: Decimal, auto: Decimal, raised: Decimal,
                                              second: Decimal) -> None:
    lower, higher = sorted((auto, raised))
    assert persons_needed(amount, AmountLimits(higher, second)) <= persons_needed(
        amount, AmountLimits(lower, second))
    assert persons_needed(amount, AmountLimits(auto, max(second, raised))) <= persons_needed(
        amount, AmountLimits(auto, min(second, raised)))


@given(st.integers(min_value=1), st.integers(min_value=1))
def test_a_second_approval_is_another_persons(proposer: int, person: int) -> None:
    assert may_give_second_approval(proposer, person) == (proposer != person)
    assert not may_give_second_approval(None, person)  # nothing proposed: nothing to second
