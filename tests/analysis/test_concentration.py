"""Concentration: hand-worked shares, Lorenz curve and Gini, and a real LSOA distribution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from safer_communities.analysis.concentration import concentration, gini, lorenz_curve
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"
COUNTS = [0, 0, 0, 0, 0, 0, 0, 0, 1, 9]  # ten units, ten records


def test_hand_worked_shares() -> None:
    table = concentration(COUNTS, shares=(0.1, 0.2, 0.5))
    assert table["units"].tolist() == [1, 2, 5]
    assert_allclose(table["record_share"], [0.9, 1.0, 1.0])
    assert table.attrs == {"units_total": 10, "records_total": 10.0, "units_with_none": 8}


def test_hand_worked_gini_and_lorenz() -> None:
    # sorted ascending x = 0 x 8, 1, 9; sum (2i - n - 1) x_i = (18 - 11) * 1 + (20 - 11) * 9 = 88
    assert gini(COUNTS) == pytest.approx(88 / 100)
    assert gini([5, 5, 5, 5]) == 0
    assert gini([0, 0, 0, 7]) == pytest.approx(1 - 1 / 4)
    curve = lorenz_curve([3, 1, 0, 4])
    assert_allclose(curve["unit_share"], [0, 0.25, 0.5, 0.75, 1])
    assert_allclose(curve["record_share"], [0, 0, 1 / 8, 4 / 8, 1])


def test_real_lsoa_concentration() -> None:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    counts = points.groupby("lsoa_code").size()
    assert counts.size == 86  # every Preston LSOA had violence in 2021, so no zeros to add
    table = concentration(counts.to_numpy())
    assert table["units"].tolist() == [1, 4, 9]
    top = np.sort(counts.to_numpy())[::-1]
    assert_allclose(table["record_share"], [top[:1].sum() / 7217, top[:4].sum() / 7217, top[:9].sum() / 7217])
    assert table["record_share"].iloc[0] == pytest.approx(top[0] / 7217)
    assert 0.2 < gini(counts) < 0.6


def test_refusals() -> None:
    with pytest.raises(NoDataError):
        concentration([0, 0, 0])
    with pytest.raises(InputError, match="not negative"):
        gini([1, -1])
    with pytest.raises(InputError, match="between 0 and 1"):
        concentration(COUNTS, shares=(1.5,))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=200).filter(lambda v: sum(v) > 0))
def test_properties(counts: list[int]) -> None:
    g = gini(counts)
    n = len(counts)
    assert -1e-12 <= g <= 1 - 1 / n + 1e-12
    # Gini is twice the area between the diagonal and the Lorenz curve (trapezium rule is exact here).
    curve = lorenz_curve(counts)
    area = np.sum(
        np.diff(curve["unit_share"])
        * (curve["record_share"].to_numpy()[1:] + curve["record_share"].to_numpy()[:-1])
        / 2
    )
    assert g == pytest.approx(1 - 2 * area, abs=1e-9)
    shares = concentration(counts, shares=(0.01, 0.5, 1.0))["record_share"].to_numpy()
    assert (np.diff(shares) >= -1e-12).all() and shares[-1] == pytest.approx(1.0)
