"""Who must look at an amount before it is paid: the one policy for every amount.

The rules' path, a clerk's approval, a cohort decision, a raise after corrected data and
a top-up after payment all ask `persons_needed`; none compares an amount to a limit of
its own. Its answer only grows with the amount, and raising a limit never makes an
amount need more persons (the state-machine test states both)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AmountLimits:
    """An operator's two limits: paid with no person up to `auto_approve`; one person's
    approval up to `second_approval_above`; above it, one proposes and another approves."""

    auto_approve: Decimal = Decimal("600.00")
    second_approval_above: Decimal = Decimal("600.00")


def persons_needed(amount: Decimal, limits: AmountLimits) -> int:
    """0, 1 or 2: how many different people must approve paying `amount` in all (a
    journey's total, never a top-up's difference alone, which would split a large sum
    into small ones)."""
    if amount > limits.second_approval_above:
        return 2
    if amount > limits.auto_approve:
        return 1
    return 0


def may_give_second_approval(proposed_by: int | None, person_id: int) -> bool:
    """Whether this person may give the second approval of a proposal: there is one, and
    it is another person's (four eyes are two people, never one person twice)."""
    return proposed_by is not None and proposed_by != person_id
