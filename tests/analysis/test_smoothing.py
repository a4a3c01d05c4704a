"""Empirical-Bayes rates and local Moran's I: checked against esda on Preston's real LSOAs to 1e-9."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.smoothing import eb_global, eb_spatial, local_moran, lsoa_weights
from safer_communities.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def preston() -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray, object]:
    with gzip.open(DATA / "hotspots" / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700").sort_values("LSOA11CD").reset_index(drop=True)
    points = pd.read_csv(DATA / "forecast" / "preston_2020-10_2022-10.csv.gz")
    year = points[
        (points["crime_type"] == "Violence and sexual offences")
        & points["month"].between("2021-04", "2022-03")
    ]
    counts = year.groupby("lsoa_code").size().reindex(lsoas["LSOA11CD"], fill_value=0).to_numpy(float)
    population = pd.read_csv(DATA / "forecast" / "preston_population_2020.csv").set_index("lsoa_code")
    b = population["population"].reindex(lsoas["LSOA11CD"]).to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = lsoa_weights(lsoas)
    return lsoas, counts, b, weights


def test_weights_find_the_neighbours_of_generalised_boundaries(preston: tuple) -> None:
    lsoas, _, _, weights = preston
    # Vertex-based queen contiguity finds none of them on these simplified boundaries; fuzzy does.
    assert weights.n == 86 and not weights.islands
    assert 4.5 < weights.mean_neighbors < 7
    # Two LSOAs of Preston city centre (Preston 015 and its neighbour to the north, 014) touch.
    first = lsoas.index[lsoas.geometry.buffer(2).intersects(lsoas.geometry.iloc[0])].tolist()
    assert sorted(weights.neighbors[0]) == sorted(i for i in first if i != 0)


def test_empirical_bayes_matches_esda(preston: tuple) -> None:
    from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes

    _, e, b, weights = preston
    # Preston violence 2021-04..2022-03: every located record of the slice lands in one of the 86 LSOAs.
    assert e.sum() == 7420 and np.count_nonzero(e) == 86
    np.testing.assert_allclose(eb_global(e, b), Empirical_Bayes(e, b).r.ravel(), rtol=0, atol=1e-9 / 1000)
    ours = eb_spatial(e, b, weights)
    theirs = Spatial_Empirical_Bayes(e, b, weights).r.ravel()
    weights.transform = "o"
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # Smoothing pulls extreme raw rates towards the mean, never past it.
    raw, smooth, mean = e / b, eb_global(e, b), e.sum() / b.sum()
    assert ((smooth - mean) * (raw - mean) >= -1e-15).all()
    assert (np.abs(smooth - mean) <= np.abs(raw - mean) + 1e-15).all()


def test_global_eb_by_hand() -> None:
    # Two areas: 1 event in 100 people and 9 in 900. m = 10/1000 = 0.01; both raw rates equal m,
    # so the spread is 0 - m/500 < 0 -> 0, and both smoothed rates are m.
    np.testing.assert_allclose(eb_global([1, 9], [100, 900]), [0.01, 0.01])
    # 0/100 and 20/100: m = 0.1; s2 = (100*0.01 + 100*0.01)/200 - 0.1/100 = 0.009;
    # weight = 0.009 / (0.009 + 0.1/100) = 0.9; EB = 0.1 + (r - 0.1) * 0.9 -> 0.01 and 0.19.
    np.testing.assert_allclose(eb_global([0, 20], [100, 100]), [0.01, 0.19])


def test_local_moran_matches_esda(preston: tuple) -> None:
    from esda.moran import Moran_Local

    _, e, b, weights = preston
    rate = eb_global(e, b) * 1000
    ours = local_moran(rate, weights, permutations=999, seed=12345)
    theirs = Moran_Local(rate, weights, transformation="r", permutations=999, seed=12345)
    weights.transform = "o"
    np.testing.assert_allclose(ours["local_i"], theirs.Is, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["expected_i"], theirs.EI, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["variance_i"], theirs.VI, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["p_sim"], theirs.p_sim, rtol=0, atol=1e-9)
    assert (ours["quadrant"].to_numpy() == theirs.q).all()
    # The city centre is a significant high-high cluster of violence after FDR.
    centre = ours["cluster"] == "HH (high among high)"
    assert centre.sum() >= 3
    assert (ours.loc[centre, "p_adjusted"] < 0.05).all()


@settings(deadline=None, max_examples=40)
@given(st.lists(st.integers(0, 50), min_size=5, max_size=30), st.integers(50, 3000))
def test_eb_stays_between_raw_and_mean(events: list[int], base: int) -> None:
    e = np.array(events, dtype=float)
    b = base + np.arange(e.size) * 17.0
    if e.sum() == 0:
        np.testing.assert_allclose(eb_global(e, b), 0.0)
        return
    raw, smooth, mean = e / b, eb_global(e, b), e.sum() / b.sum()
    assert (np.abs(smooth - mean) <= np.abs(raw - mean) + 1e-12).all()


def test_inputs_refused() -> None:
    with pytest.raises(InputError, match="positive"):
        eb_global([1, 2], [100, 0])
    with pytest.raises(InputError, match="one of each"):
        eb_global([1, 2, 3], [100, 100])
    with pytest.raises(InputError, match="finite"):
        local_moran(np.array([1.0, np.nan, 2.0]), None)
