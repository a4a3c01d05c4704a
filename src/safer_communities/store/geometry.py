"""Clean dissolves: district and county outlines from LSOA polygons without sliver holes.

The ONS generalised LSOA boundaries do not share vertices exactly, so a plain union leaves thousands
of pin-holes (9,008 rings of a few cm2 across Lancashire's 14 districts) and hair-thin parts: black
specks on a web map and false holes in any GIS. Snapping the union to a 1 mm grid closes them; any
ring still smaller than ``MIN_HOLE_M2`` is dropped. Genuine holes (a district round an LSOA of
another district) are hectares and are kept.
"""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from shapely.geometry.base import BaseGeometry

GRID_SIZE_M = 0.001
"""The union is snapped to this grid (metres): far below the 1 m accuracy of generalised boundaries."""
MIN_HOLE_M2 = 100.0
"""Interior rings smaller than this are artefacts (no LSOA is 10 m across) and are removed."""
MIN_PART_M2 = 1.0
"""Parts of a multipolygon smaller than this (slivers left outside) are removed."""


def without_slivers(geometry: BaseGeometry, *, min_hole_m2: float = MIN_HOLE_M2,
                    min_part_m2: float = MIN_PART_M2) -> BaseGeometry:
    """The (multi)polygon without interior rings under ``min_hole_m2`` or parts under ``min_part_m2``."""
    if geometry is None or geometry.is_empty:
        return geometry
    parts = [p for p in getattr(geometry, "geoms", [geometry]) if isinstance(p, shapely.Polygon)]
    kept = []
    for polygon in parts:
        if polygon.area < min_part_m2:
            continue
        holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= min_hole_m2]
        kept.append(shapely.Polygon(polygon.exterior, holes))
    if not kept:
        return geometry
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def dissolve(geometries: Iterable[BaseGeometry], *, grid_size_m: float = GRID_SIZE_M) -> BaseGeometry:
    """One outline from many polygons (LSOAs into a district or county), with no sliver holes."""
    parts = list(geometries)
    union = shapely.union_all(parts, grid_size=grid_size_m)
    return without_slivers(shapely.make_valid(union) if not union.is_valid else union)


def interior_rings_under(geometry: BaseGeometry, area_m2: float) -> int:
    """How many interior rings of the geometry are smaller than ``area_m2`` (a check for tests and CI)."""
    count = 0
    for polygon in getattr(geometry, "geoms", [geometry]):
        if isinstance(polygon, shapely.Polygon):
            count += sum(shapely.Polygon(r).area < area_m2 for r in polygon.interiors)
    return count
