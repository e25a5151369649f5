"""Percentiles from time buckets: percentile_cont's figure where each bucket holds one
value, within 1 % of it otherwise."""

from __future__ import annotations

import math
import statistics

from hypothesis import given
from hypothesis import strategies as st

from claims.reporting.effort_times import EXACT_BELOW, GROWTH, percentile, percentiles_by_measure


def _buckets(values: list[int]) -> list[tuple[int, float]]:
    """As effort_time_days holds them: count and mean per bucket, in order."""
    def bucket(value: int) -> int:
        if value < EXACT_BELOW:
            return value
        return EXACT_BELOW + math.floor(math.log(value / EXACT_BELOW) / math.log(GROWTH))

    by_bucket: dict[int, list[int]] = {}
    for value in values:
        by_bucket.setdefault(bucket(value), []).append(value)
    return [(len(held), sum(held) / len(held)) for _b, held in sorted(by_bucket.items())]


def _exact(values: list[int], share: float) -> float:
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return statistics.median(values) if share == 0.5 else cuts[8]


def test_one_value_per_bucket_gives_percentile_conts_figure() -> None:
    values = [10, 20, 3600]
    assert percentile(_buckets(values), 0.5) == 20
    assert percentile(_buckets(values), 0.9) == 20 + 0.8 * (3600 - 20)
    assert percentile(_buckets([7]), 0.9) == 7


def test_rows_are_read_per_measure() -> None:
    rows = [("decision", 10, 1, 10), ("decision", 20, 1, 20), ("decision", 900, 1, 3600),
            ("payout", 700, 2, 259200)]
    assert percentiles_by_measure(rows) == {"decision": (20, 2884), "payout": (129600, 129600)}


@given(st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=400))
def test_any_times_come_within_one_percent(values: list[int]) -> None:
    values.sort()
    for share in (0.5, 0.9):
        exact = _exact(values, share)
        assert math.isclose(percentile(_buckets(values), share), exact,
                            rel_tol=GROWTH - 1, abs_tol=1e-9)
