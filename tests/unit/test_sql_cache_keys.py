"""The SQL elements of claims.db.dialect have cache keys: statements holding them are
compiled once, not on every report, and two that differ never share a compiled string."""

from __future__ import annotations

from sqlalchemy import select

from claims.db.dialect import json_array_contains, monday_of, utc_day
from claims.db.models import Claim, ClaimEffort, EffortDay


def test_one_column_elements_are_cached_per_column() -> None:
    for element in (monday_of, utc_day):
        key = select(element(EffortDay.day))._generate_cache_key()
        assert key is not None, element
        assert key == select(element(EffortDay.day))._generate_cache_key()
        assert key != select(element(ClaimEffort.submitted_at))._generate_cache_key()
    assert select(monday_of(EffortDay.day))._generate_cache_key() != \
        select(utc_day(EffortDay.day))._generate_cache_key()


def test_the_value_looked_for_is_a_parameter_of_one_cached_statement() -> None:
    first = select(Claim.id).where(json_array_contains(Claim.reason_codes, "appeal"))
    second = select(Claim.id).where(json_array_contains(Claim.reason_codes, "no-appeal"))
    first_key, second_key = first._generate_cache_key(), second._generate_cache_key()
    assert first_key is not None and first_key == second_key
    assert [p.value for p in first_key.bindparams] == ["appeal"]
    assert [p.value for p in second_key.bindparams] == ["no-appeal"]
    assert first_key != select(Claim.id).where(
        json_array_contains(Claim.manual_journey, "appeal"))._generate_cache_key()
