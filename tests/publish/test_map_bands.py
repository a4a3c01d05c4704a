"""Map classes: labels never share a value, every class has members, withheld areas are band 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.config import Settings
from safer_communities.publish.maps import rate_bands


def _frame(counts: list[int], populations: list[int]) -> pd.DataFrame:
    n = min(len(counts), len(populations))
    c, p = np.array(counts[:n]), np.array(populations[:n])
    return pd.DataFrame({"area_code": [f"E0100{i:04d}" for i in range(n)], "area_name": [f"LSOA {i}" for i in
                                                                                          range(n)],
                         "count": c, "rate_per_1000": 1000 * c / p})


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=80), st.lists(st.integers(400, 4000), min_size=80,
                                                                          max_size=80))
def test_labels_do_not_overlap_and_cover_their_members(counts: list[int], populations: list[int]) -> None:
    frame = _frame(counts, populations)
    bands = rate_bands(frame, rate_column="rate_per_1000", count_column="count", settings=Settings())
    table = bands.table
    assert len(bands.labels) == len(bands.colours) <= 5
    assert set(table["band"]) - {0} == set(range(1, len(bands.labels) + 1))  # no empty class in the legend
    previous = -np.inf
    for k, label in enumerate(bands.labels, start=1):
        printed = table.loc[table["band"] == k, "rate_shown"].round(1)
        low, high = printed.min(), printed.max()
        assert low > previous and label == (f"{low:,.1f}" if low == high else f"{low:,.1f} to {high:,.1f}")
        previous = high
    withheld = table["band"] == 0
    assert table.loc[withheld, "rate_shown"].isna().all()
    assert (table.loc[withheld, "band_label"] == "Withheld (small numbers)").all()
    # Rates on fewer records than the rate threshold are never classed.
    small = frame["count"] < Settings().rate_numerator_min
    assert (table.loc[small.to_numpy(), "band"] == 0).all()


def test_hand_checked_quintiles() -> None:
    frame = _frame([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [1000] * 10)
    bands = rate_bands(frame, rate_column="rate_per_1000", count_column="count", settings=Settings())
    assert bands.labels == ["10.0 to 20.0", "30.0 to 40.0", "50.0 to 60.0", "70.0 to 80.0", "90.0 to 100.0"]
    assert bands.method == "5 quantile classes of rates (equal numbers of LSOAs)"


def test_small_populations_are_smoothed_before_classing() -> None:
    """Marshall's global empirical Bayes by hand: m = 60/6000, s2 = sum b (r-m)^2 / sum b - m / mean b."""
    counts = np.array([10, 10, 10, 30])
    population = np.array([2000, 2000, 1500, 500])
    frame = _frame(list(counts), list(population)).assign(population=population)
    bands = rate_bands(frame, rate_column="rate_per_1000", count_column="count", settings=Settings())
    r, m = counts / population, counts.sum() / population.sum()
    s2 = max((population * (r - m) ** 2).sum() / population.sum() - m / population.mean(), 0)
    expected = 1000 * (m + (r - m) * s2 / (s2 + m / population))
    assert np.allclose(bands.table["rate_smoothed"], np.round(expected, 1))
    assert bands.smoothed and "empirical-Bayes smoothed" in bands.method
    # the small LSOA's raw 60 per 1,000 is pulled towards the area's 10 per 1,000
    assert bands.table["rate_shown"].iloc[3] == 60.0 and bands.table["rate_smoothed"].iloc[3] < 60.0
