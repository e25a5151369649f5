"""What the rules found, as the reason a clerk's rejection starts from."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.clerks.rejections import STANDARD, reason_the_rules_found


@pytest.mark.parametrize(("rule", "reason"), [
    ("eu-rail.19-1", "not-eligible"),              # below 60 minutes
    ("eu-rail.19-8", "not-eligible"),              # under the minimum payout
    ("uk-rail.dr15.none", "not-eligible"),
    ("eu-air.7-delay", "not-eligible"),
    ("eu-rail.19-10", "extraordinary-circumstances"),
    ("eu-air.5-3", "extraordinary-circumstances"),
    ("clerk.past-deadline", "past-deadline"),      # a clerk's rejection, objected to
    ("clerk.something-old", "not-eligible"),
])
def test_a_rule_that_found_nothing_owed_names_its_reason(rule: str, reason: str) -> None:
    assert reason_the_rules_found(False, rule) == reason


@given(st.sampled_from([True, None]), st.text())
def test_nothing_is_preselected_unless_the_rules_found_the_claim_not_eligible(
        eligible: bool | None, rule: str) -> None:
    assert reason_the_rules_found(eligible, rule) is None


@given(st.text(min_size=1))
def test_an_unknown_arrival_is_no_finding_and_any_finding_is_a_clerks_reason(
        rule: str) -> None:
    assert reason_the_rules_found(False, f"{rule}.arrival-unknown") is None
    found = reason_the_rules_found(False, rule)
    assert found is None or found in STANDARD
