"""The edge-based grid against the cell-by-cell overlay it replaces: same cells, same shares, reused.

The reference is the direct construction: every cell of the aligned raster intersected with the
boundary by shapely, kept when the overlap has an area, its share the overlap's area over the cell's.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely.geometry import MultiPolygon, Polygon, box

from safer_communities.analysis.coverage import cell_shares
from safer_communities.analysis.grid import boundary_geometry, raster_for_boundary
from safer_communities.analysis.hotspots import hotspot_gistar, hotspot_kde, make_grid

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    with gzip.open(DATA / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


def overlay_grid(geometry: shapely.Geometry, cell: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Cells kept and their shares by intersecting every cell of the raster with the boundary."""
    minx, miny, maxx, maxy = geometry.bounds
    x0, y0 = math.floor(minx / cell) * cell, math.floor(miny / cell) * cell
    nx, ny = max(1, math.ceil((maxx - x0) / cell)), max(1, math.ceil((maxy - y0) / cell))
    rows, cols = np.divmod(np.arange(nx * ny), nx)
    boxes = shapely.box(x0 + cols * cell, y0 + rows * cell, x0 + (cols + 1) * cell, y0 + (rows + 1) * cell)
    share = shapely.area(shapely.intersection(geometry, boxes)) / (cell * cell)
    kept = np.flatnonzero(share > 1e-10)
    return kept, share[kept], nx


@pytest.mark.parametrize("cell", [250.0, 100.0])
def test_fast_grid_equals_the_overlay_on_preston(
    preston: tuple[pd.DataFrame, gpd.GeoDataFrame], cell: float
) -> None:
    _, lsoas = preston
    geometry = boundary_geometry(lsoas)
    raster = raster_for_boundary(geometry, cell)
    cells, shares, nx = overlay_grid(geometry, cell)
    assert raster.nx == nx
    assert_array_equal(raster.cells, cells)
    assert_allclose(raster.inside, shares, rtol=0, atol=1e-9)
    # Real edges: hundreds of cells cut by the boundary, the rest exactly whole.
    edge = raster.inside < 1
    assert edge.sum() == {250.0: 978, 100.0: 2567}[cell]
    assert (raster.inside[~edge] == 1).all()
    assert raster.inside.sum() * cell * cell == pytest.approx(geometry.area, rel=1e-12)


def test_hand_worked_shares() -> None:
    # A 300 m square at (50, 50) with a 100 m hole at (150, 150): on 100 m cells the corner cells hold
    # a quarter, the edge cells a half, the centre cell (150..250 hole overlaps a quarter) ...
    ring = box(50, 50, 350, 350)
    hole = box(150, 150, 250, 250)
    square = Polygon(ring.exterior.coords, [hole.exterior.coords])
    share = cell_shares(square, 0.0, 0.0, 100.0, 4, 4).reshape(4, 4)
    expected = np.array(
        [
            [0.25, 0.5, 0.5, 0.25],
            [0.5, 0.75, 0.75, 0.5],
            [0.5, 0.75, 0.75, 0.5],
            [0.25, 0.5, 0.5, 0.25],
        ]
    )
    assert_allclose(share, expected, atol=1e-12)
    # Orientation does not matter (a clockwise exterior, an anticlockwise hole).
    reversed_square = Polygon(ring.exterior.coords[::-1], [hole.exterior.coords[::-1]])
    assert_allclose(cell_shares(reversed_square, 0.0, 0.0, 100.0, 4, 4).reshape(4, 4), expected, atol=1e-12)


def test_cells_touching_only_along_an_edge_are_not_kept() -> None:
    # Two squares on grid lines, one ending on the raster's right edge: exactly the 5 cells they cover.
    area = MultiPolygon([box(0, 0, 200, 200), box(200, 200, 300, 300)])
    raster = raster_for_boundary(area, 100.0)
    assert (raster.nx, raster.ny) == (3, 3)
    assert_array_equal(raster.cells, [0, 1, 3, 4, 8])
    assert_array_equal(raster.inside, np.ones(5))
    # A triangle: the diagonal halves the cells it crosses.
    triangle = Polygon([(0, 0), (300, 0), (0, 300)])
    share = cell_shares(triangle, 0.0, 0.0, 100.0, 3, 3).reshape(3, 3)
    assert_allclose(share, [[1, 1, 0.5], [1, 0.5, 0], [0.5, 0, 0]], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-500, 500),
    st.floats(-500, 500),
    st.floats(5, 400),
    st.integers(3, 9),
    st.floats(0, 2 * math.pi),
    st.sampled_from([7.0, 25.0, 100.0]),
)
def test_shares_match_the_overlay_for_any_polygon(
    cx: float, cy: float, radius: float, sides: int, turn: float, cell: float
) -> None:
    # Star-shaped polygons (convex and not) with a hole, anywhere relative to the grid lines.
    angles = turn + np.linspace(0, 2 * math.pi, 2 * sides, endpoint=False)
    radii = np.where(np.arange(2 * sides) % 2 == 0, radius, radius * 0.55)
    shell = np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
    hole = shapely.Point(cx, cy).buffer(radius * 0.3, 4)
    polygon = Polygon(shell, [hole.exterior.coords])
    raster = raster_for_boundary(polygon, cell)
    cells, shares, _ = overlay_grid(polygon, cell)
    assert_array_equal(raster.cells, cells)
    assert_allclose(raster.inside, shares, rtol=0, atol=1e-9)


def test_grid_is_built_once_and_results_are_independent(
    preston: tuple[pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    points, lsoas = preston
    geometry = boundary_geometry(lsoas)
    assert boundary_geometry(lsoas) is geometry  # the dissolve is reused
    first = raster_for_boundary(geometry, 200.0)
    assert raster_for_boundary(shapely.from_wkb(shapely.to_wkb(geometry)), 200.0) is first
    assert raster_for_boundary(geometry, 250.0) is not first
    assert not first.cells.flags.writeable and not first.inside.flags.writeable
    grid = make_grid(lsoas, cell_size_m=200)
    grid.loc[:, "inside"] = 0.0  # changing one result must not change the next
    assert make_grid(lsoas, cell_size_m=200)["inside"].sum() * 0.04 == pytest.approx(142.294, abs=1e-3)
    # The same map whether the boundary is the LSOAs or their union, in any order of calls.
    by_frame = hotspot_kde(points, cell_size_m=200, bandwidth_m=400, boundary=lsoas, quiet=True)
    by_union = hotspot_kde(points, cell_size_m=200, bandwidth_m=400, boundary=geometry, quiet=True)
    assert_array_equal(by_frame["kde"], by_union["kde"])
    gi = hotspot_gistar(points, cell_size_m=200, boundary=lsoas, quiet=True)
    assert_array_equal(gi["cell_id"], by_frame["cell_id"])
    assert int(gi["count"].sum()) == 7217
