"""Clean dissolves: near-coincident edges must not leave pin-holes; real holes stay."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.store.geometry import dissolve, interior_rings_under, without_slivers


def _four_boxes_with_gap(gap_m: float) -> list[shapely.Polygon]:
    """Two boxes side by side with a ``gap_m`` strip between them, closed above and below by two more:
    as where generalised LSOAs do not quite share an edge, the plain union has a pin-hole there."""
    return [shapely.box(0, 0, 100, 100), shapely.box(100 + gap_m, 0, 200, 100),
            shapely.box(0, 100, 200, 200), shapely.box(0, -100, 200, 0)]


def test_plain_union_leaves_a_pin_hole_that_dissolve_removes() -> None:
    parts = _four_boxes_with_gap(0.0005)
    assert interior_rings_under(shapely.union_all(parts), 1.0) == 1
    clean = dissolve(parts)
    assert interior_rings_under(clean, 1.0) == 0
    assert clean.area == pytest.approx(200 * 300, abs=0.1)


def test_a_real_hole_is_kept() -> None:
    ring = shapely.Polygon([(0, 0), (300, 0), (300, 300), (0, 300)], [[(100, 100), (200, 100), (200, 200),
                                                                       (100, 200)]])
    clean = dissolve([ring])
    assert len(clean.interiors) == 1 and clean.area == pytest.approx(300 * 300 - 100 * 100)


def test_sliver_parts_are_dropped_and_islands_kept() -> None:
    island = shapely.box(1000, 1000, 1100, 1100)
    sliver = shapely.box(2000, 2000, 2000.5, 2000.5)
    out = without_slivers(shapely.MultiPolygon([shapely.box(0, 0, 10, 10), island, sliver]))
    assert len(out.geoms) == 2 and out.area == pytest.approx(100 + 10_000)


@settings(deadline=None, max_examples=40)
@given(st.floats(min_value=1e-5, max_value=0.9), st.floats(min_value=0, max_value=1e6))
def test_dissolve_never_leaves_holes_for_gaps_under_a_metre(gap_m: float, offset: float) -> None:
    parts = [shapely.affinity.translate(p, offset, offset) for p in _four_boxes_with_gap(gap_m)]
    assert interior_rings_under(dissolve(parts), 1.0) == 0
