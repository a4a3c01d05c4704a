"""Emerging hot spots: the Mann-Kendall test by hand, the categories on a worked example, real data."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau

from safer_communities.analysis.emerging import (
    CATEGORIES,
    classify_emerging,
    gistar_periods,
    hotspot_emerging,
    mann_kendall,
)
from safer_communities.analysis.gistar import grid_neighbours, local_gistar
from safer_communities.analysis.grid import prepare
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data"


def test_mann_kendall_by_hand() -> None:
    # 1..5 rising: S = 10, Var = 5*4*15/18 = 16.667, Z = (10 - 1)/4.0825 = 2.2045, p = 0.0275.
    out = mann_kendall(np.array([[1.0, 2, 3, 4, 5], [5.0, 4, 3, 2, 1], [1.0, 1, 2, 2, 3]]))
    assert out["trend_s"].tolist() == [10, -10, 8]
    assert out.loc[0, "trend_z"] == pytest.approx(9 / np.sqrt(50 / 3))
    assert out.loc[0, "trend_p"] == pytest.approx(0.02749, abs=1e-5)
    assert out.loc[1, "trend_z"] == pytest.approx(-out.loc[0, "trend_z"])
    # Ties [1,1,2,2,3]: S = 8 (two tied pairs score 0); Var = (300 - 2 * 2 * 1 * 9) / 18 = 14.667
    # (each tie group of 2 takes g(g-1)(2g+5) = 18); Z = (8 - 1) / sqrt(14.667).
    assert out.loc[2, "trend_z"] == pytest.approx(7 / np.sqrt(264 / 18))


@settings(deadline=None, max_examples=50)
@given(st.lists(st.integers(-5, 5), min_size=4, max_size=20))
def test_mann_kendall_s_matches_kendall_tau(values: list[int]) -> None:
    x = np.array(values, dtype=float)
    out = mann_kendall(x[None, :])
    n = x.size
    if np.ptp(x) == 0:
        assert out.loc[0, "trend_s"] == 0
        return
    # tau-b of (time, x) times the pair count corrected for ties in x gives S back.
    tau_b = kendalltau(np.arange(n), x).statistic
    pairs = n * (n - 1) / 2
    _, groups = np.unique(x, return_counts=True)
    tied = (groups * (groups - 1) / 2).sum()
    assert out.loc[0, "trend_s"] == pytest.approx(tau_b * np.sqrt(pairs * (pairs - tied)))


def test_categories_of_a_worked_example() -> None:
    # Ten periods; h = hot (z = 3, significant), c = cold (z = -3), . = not significant (z = 0.5).
    patterns = {
        ".........h": "new hot spot",
        "......hhhh": "consecutive hot spot",
        "hhhhhhhhhh": None,  # persistent, intensifying or diminishing by the trend: below
        "hhhhhhhhh.": "historical hot spot",
        "h..c...h.h": "oscillating hot spot",
        "h...h..h.h": "sporadic hot spot",
        "h...h..h..": "no pattern detected",  # hot before, not now, under 90%: ArcGIS names nothing
        ".........c": "new cold spot",
        "c...c..c.c": "sporadic cold spot",
        "..........": "no pattern detected",
    }
    z = np.array([[{"h": 3.0, "c": -3.0, ".": 0.5}[s] for s in p] for p in patterns])
    sig = np.abs(z) > 1
    out = classify_emerging(z, sig, np.zeros(len(patterns)), np.ones(len(patterns)))
    for got, (pattern, want) in zip(out, patterns.items(), strict=True):
        if want is not None:
            assert got == want, pattern
    assert out[2] == "persistent hot spot"
    # Hot throughout: the Mann-Kendall trend of the z-scores decides.
    rising = np.linspace(2.5, 6, 10)[None, :]
    trend = mann_kendall(rising)
    assert trend.loc[0, "trend_p"] < 0.05
    got = classify_emerging(
        rising, np.ones((1, 10), bool), trend["trend_z"].to_numpy(), trend["trend_p"].to_numpy()
    )
    assert got[0] == "intensifying hot spot"
    falling = rising[:, ::-1]
    trend = mann_kendall(falling)
    got = classify_emerging(
        falling, np.ones((1, 10), bool), trend["trend_z"].to_numpy(), trend["trend_p"].to_numpy()
    )
    assert got[0] == "diminishing hot spot"
    assert set(out) <= set(CATEGORIES)


def test_gistar_periods_equals_local_gistar_per_period() -> None:
    points = pd.read_csv(DATA / "forecast" / "preston_2020-10_2022-10.csv.gz")
    with gzip.open(DATA / "hotspots" / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    asb = points[points["crime_type"] == "Anti-social behaviour"]
    prep = prepare(asb, cell_size_m=500, weights=None, period=None, quiet=True, boundary=lsoas)
    w = grid_neighbours(prep.raster, 500 * np.sqrt(2))
    months = sorted(asb["month"].unique())[:3]
    values = np.column_stack(
        [
            np.bincount(
                prep.index[pd.Series(prep.points.month.astype(str)).eq(m).to_numpy()],
                minlength=prep.raster.cells.size,
            )
            for m in months
        ]
    ).astype(float)
    z, p = gistar_periods(values, w)
    for k in range(3):
        zk, pk = local_gistar(values[:, k], w)
        np.testing.assert_allclose(z[:, k], zk, rtol=1e-12)
        np.testing.assert_allclose(p[:, k], pk, rtol=1e-9, atol=1e-15)


def test_hotspot_emerging_on_preston_violence() -> None:
    points = pd.read_csv(DATA / "forecast" / "preston_2020-10_2022-10.csv.gz")
    with gzip.open(DATA / "hotspots" / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    violence = points[points["crime_type"] == "Violence and sexual offences"]
    grid = hotspot_emerging(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    assert len(grid.attrs["periods"]) == 25 and grid["count"].sum() == len(violence)
    cats = grid["category"].value_counts()
    assert set(cats.index) <= set(CATEGORIES)
    # The city centre: hot in at least 90% of 25 months (23), so persistent, intensifying, diminishing
    # or historical; the busiest cell is one of them.
    top = grid.loc[grid["count"].idxmax()]
    assert top["hot_periods"] >= 23
    assert top["category"] in {"persistent hot spot", "intensifying hot spot", "diminishing hot spot"}
    # Every cell's hot-period count agrees with its z-columns and the 90% rule.
    zcols = [c for c in grid.columns if c.startswith("z_")]
    persistent = grid["category"] == "persistent hot spot"
    assert (grid.loc[persistent, "hot_periods"] >= 23).all()
    assert ((grid.loc[persistent, zcols] > 0).all(axis=1)).all() or persistent.sum() == 0
    quarterly = hotspot_emerging(violence, cell_size_m=250, boundary=lsoas, quiet=True, periods="quarter")
    # 2020-10..2022-10 holds 8 complete quarters (2020Q4..2022Q3); 2022-10 alone is left out.
    assert quarterly.attrs["periods"][0] == "2020Q4" and len(quarterly.attrs["periods"]) == 8
    with pytest.raises(InputError, match="periods"):
        hotspot_emerging(violence, boundary=lsoas, quiet=True, periods="week")
    with pytest.raises(NoDataError, match="three periods"):
        hotspot_emerging(
            violence[violence["month"] <= "2020-11"], cell_size_m=250, boundary=lsoas, quiet=True
        )
