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
    assert (table.loc[withheld, "band_label"] == "Not shown (withheld)").all()
    # Rates on fewer records than the rate threshold are never classed.
    small = frame["count"] < Settings().rate_numerator_min
    assert (table.loc[small.to_numpy(), "band"] == 0).all()


def test_hand_checked_quintiles() -> None:
    frame = _frame([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [1000] * 10)
    bands = rate_bands(frame, rate_column="rate_per_1000", count_column="count", settings=Settings())
    assert bands.labels == ["10.0 to 20.0", "30.0 to 40.0", "50.0 to 60.0", "70.0 to 80.0", "90.0 to 100.0"]
    assert bands.method == "5 quantile classes"
