"""Getis-Ord Gi*: the esda reference values, esda itself on real grids and LSOAs, and the hotspot wrapper."""

from __future__ import annotations

import gzip
import logging
import warnings
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from scipy.stats import norm

from safer_communities.analysis.gistar import classify, grid_neighbours
from safer_communities.analysis.grid import prepare
from safer_communities.analysis.hotspots import hotspot_gistar, hotspot_gistar_areas, local_gistar
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"
XY = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], dtype=float)
Y = np.array([2, 3, 3.2, 5, 8, 7])
ESDA_Z = np.array([-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331])


def band_matrix(xy: np.ndarray, distance: float) -> sp.csr_array:
    d = cdist(xy, xy)
    return sp.csr_array(((d <= distance) & (d > 0)).astype(float))


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    with gzip.open(DATA / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


def test_reproduces_the_esda_reference_values() -> None:
    z, p = local_gistar(Y, band_matrix(XY, 15))
    assert_allclose(z, ESDA_Z, atol=1e-8)
    assert_allclose(p, 2 * norm.sf(np.abs(ESDA_Z)), atol=1e-8)
    assert p[5] == pytest.approx(0.042945, abs=1e-6)  # the one cell significant at 95%, two-sided


def test_refuses_the_diagonal_and_non_binary_weights() -> None:
    with_self = band_matrix(XY, 15) + sp.eye_array(6)
    with pytest.raises(InputError, match="diagonal"):
        local_gistar(Y, with_self)
    with pytest.raises(InputError, match="binary"):
        local_gistar(Y, band_matrix(XY, 15) * 0.5)
    with pytest.raises(InputError, match="n x n"):
        local_gistar(Y[:5], band_matrix(XY, 15))


def test_constant_values_give_nan_not_zero() -> None:
    z, p = local_gistar(np.full(6, 4.0), band_matrix(XY, 15))
    assert np.isnan(z).all() and np.isnan(p).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=6, max_size=6).filter(lambda v: np.ptp(v) > 1e-3),
    st.floats(0.1, 100),
    st.floats(-1000, 1000),
)
def test_z_is_unchanged_by_rescaling_the_values(values: list[float], scale: float, shift: float) -> None:
    w = band_matrix(XY, 15)
    z1, _ = local_gistar(np.array(values), w)
    z2, _ = local_gistar(np.array(values) * scale + shift, w)
    assert_allclose(z1, z2, rtol=1e-6, atol=1e-6)


def test_equals_esda_on_a_real_grid(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    prep = prepare(points, cell_size_m=250, weights=None, period=None, quiet=True, boundary=lsoas)
    counts = np.bincount(prep.index, minlength=prep.raster.cells.size).astype(float)
    neighbours = grid_neighbours(prep.raster, 250 * np.sqrt(2))
    z, _ = local_gistar(counts, neighbours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.WSP(neighbours.tocsr()).to_W(silence_warnings=True)
        reference = esda.G_Local(counts, w, transform="B", star=True, permutations=0)
    assert_allclose(z, reference.Zs, rtol=0, atol=1e-9)


def test_grid_neighbours_queen_and_rook(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    raster = prepare(points, cell_size_m=500, weights=None, period=None, quiet=True, boundary=lsoas).raster
    queen = grid_neighbours(raster, 500 * np.sqrt(2))
    rook = grid_neighbours(raster, 500)
    assert (queen != queen.T).nnz == 0 and queen.diagonal().sum() == 0
    assert np.diff(queen.indptr).max() == 8 and np.diff(rook.indptr).max() == 4
    assert (rook.multiply(queen) != rook).nnz == 0  # every rook neighbour is a queen neighbour


def test_hotspot_gistar_on_preston(preston: tuple[pd.DataFrame, gpd.GeoDataFrame], caplog) -> None:
    points, lsoas = preston
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        grid = hotspot_gistar(points, cell_size_m=250, boundary=lsoas)
    assert "Neighbours set to the cells within one ring (queen, 354 m)." in caplog.text
    assert grid["count"].sum() == 7217 and len(grid) == 2457
    hottest = grid.loc[grid["gistar_z"].idxmax()]
    # Preston city centre (Fishergate / Church Street), 70 violent crimes in 2021 in that 250 m cell.
    assert (hottest["x"], hottest["y"], hottest["count"]) == (353875.0, 429625.0, 70)
    assert hottest["gistar_z"] == pytest.approx(22.014908, abs=1e-6)
    assert grid["class"].value_counts().to_dict() == {0: 2260, 3: 157, 2: 25, 1: 15}
    assert grid.attrs["method"].startswith("Getis-Ord Gi*") and grid.attrs["bandwidth_m"] == pytest.approx(
        353.553, abs=1e-3
    )
    assert "snapped to anonymous map points" in grid.attrs["caveat"]
    assert "Benjamini-Hochberg" in grid.attrs["caveat"]
    raw = hotspot_gistar(points, cell_size_m=250, boundary=lsoas, fdr=False, quiet=True)
    assert_allclose(raw["gistar_z"], grid["gistar_z"])
    assert (raw["class"] != 0).sum() > (grid["class"] != 0).sum()  # FDR removes chance hotspots
    assert ((grid["class"] > 0) == (grid["gistar_z"] > 0) & (grid["p_adjusted"] < 0.10)).all()


def test_classes_follow_the_confidence_levels() -> None:
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0])
    p = 2 * norm.sf(np.abs(z))
    classes, used = classify(z, p, fdr=False)
    assert classes.tolist() == [3, 2, 1, 0, -1, -2, -3]
    assert_allclose(used, p)


def test_hotspot_gistar_refuses_a_flat_map(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    _, lsoas = preston
    one = pd.DataFrame({"easting": [353875.0], "northing": [429625.0]})
    with pytest.raises(NoDataError, match="same value"):
        hotspot_gistar(one, cell_size_m=200_000, boundary=lsoas, quiet=True)


def test_hotspot_gistar_areas_equals_esda_fuzzy_contiguity(
        preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    counts = points.groupby("lsoa_code").size()
    areas = lsoas.assign(violence=lsoas["LSOA11CD"].map(counts).fillna(0))
    result = hotspot_gistar_areas(areas, "violence", quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.fuzzy_contiguity(areas, buffering=True, buffer=2.0)
        reference = esda.G_Local(
            areas["violence"].to_numpy(float), w, transform="B", star=True, permutations=0
        )
    assert_allclose(result["gistar_z"], reference.Zs, atol=1e-9)
    assert int(areas["violence"].sum()) == 7217
    assert "fuzzy contiguity" in result.attrs["method"]
    top = result.loc[result["gistar_z"].idxmax(), "LSOA11CD"]
    assert result.loc[result["LSOA11CD"] == top, "class"].item() == 3
    with pytest.raises(InputError, match="not in the areas"):
        hotspot_gistar_areas(areas, "missing")


def test_generalised_lsoas_have_neighbours(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    """The generalised boundaries share no exact vertices: queen contiguity leaves islands, fuzzy
    contiguity finds each LSOA's neighbours, so an LSOA is no longer compared with itself alone."""
    from safer_communities.analysis.hotspots import area_neighbours

    _, lsoas = preston
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        queen = libpysal.weights.Queen.from_dataframe(lsoas, use_index=False, silence_warnings=True)
    fuzzy = area_neighbours(lsoas)
    degree = np.diff(fuzzy.indptr)
    assert (degree == 0).sum() == 0
    assert 4.5 < degree.mean() < 7.0  # a planar partition: about six neighbours each
    assert fuzzy.diagonal().sum() == 0 and (fuzzy != fuzzy.T).nnz == 0
    assert len(queen.islands) > (degree == 0).sum()
