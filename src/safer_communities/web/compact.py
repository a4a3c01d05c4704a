"""Compact boundaries for the web map: coordinates quantised to 5 decimal places (about 1 m).

Boundaries are simplified to about 20 m in British National Grid first (``web.evidence``), so a metre is
far below what the map can show. Each coordinate is rounded on its own, without GEOS's precision
snapping: snapping a polygon to a 1e-5 degree grid repairs what the rounding pinches (the two banks of
a narrow estuary meeting) by cutting the polygon into parts with false holes, where rounding each point
leaves the rings as they were. A feature whose rounding would still make it invalid keeps 6 decimal
places (about 0.1 m). Feature count, order and properties are unchanged.

With the answers stored gzipped (``routes.api``), the county's LSOA hot-spot layer goes from 1.23 MB
to about 0.22 MB on the wire (see docs/web.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

DIGITS = 5
"""Decimal places of longitude and latitude (1e-5 degree: 1.1 m north-south, 0.7 m east-west here)."""
FALLBACK_DIGITS = 6


def quantise(geometries: Any, digits: int = DIGITS) -> Any:
    """WGS84 geometries with every coordinate rounded to ``digits`` places (invalid ones: one more)."""
    values = np.asarray(geometries)
    rounded = shapely.transform(values, lambda xy: np.round(xy, digits))
    broken = ~shapely.is_valid(rounded) & shapely.is_valid(values)
    if broken.any():
        rounded[broken] = shapely.transform(values[broken], lambda xy: np.round(xy, FALLBACK_DIGITS))
    return rounded
