"""The numpy-free unlocated-share rule (``safer quality``) equals ``placement.anomalous_months``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.placement import anomalous_months
from safer_communities.analysis.unlocated_rule import anomalous, lower_quartile

_months = st.lists(
    st.tuples(st.integers(0, 5_000), st.integers(0, 5_000)).map(lambda p: (min(p), max(p))),
    min_size=0, max_size=60)


@settings(deadline=None, max_examples=400)
@given(_months)
def test_flags_equal_the_array_version(months: list[tuple[int, int]]) -> None:
    unlocated, totals = [u for u, _ in months], [t for _, t in months]
    expected = anomalous_months(np.array(unlocated, float), np.array(totals, float)).tolist()
    assert anomalous(unlocated, totals) == expected


@settings(deadline=None, max_examples=400)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=200))
def test_lower_quartile_is_numpys_float(values: list[float]) -> None:
    assert lower_quartile(values) == float(np.quantile(np.array(values), 0.25))


def test_a_month_of_unplaced_records_is_flagged() -> None:
    # Eleven months at 2-3% unlocated and one at 12%: the lower quartile is 2.0%, and 12% is over twice
    # that and 10 points above it; 3% is neither.
    unlocated = [20, 25, 30, 20, 22, 21, 120, 24, 26, 20, 23, 30]
    totals = [1000] * 12
    assert lower_quartile([u / 1000 for u in unlocated]) == 0.02075
    assert anomalous(unlocated, totals) == [k == 6 for k in range(12)]
    assert anomalous(unlocated[:5], totals[:5]) == [False] * 5  # under six months: nothing flagged
