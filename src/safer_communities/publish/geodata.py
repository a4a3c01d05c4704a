"""Boundaries for maps, read from the evidence store's ``area_boundaries`` (WKB, EPSG:27700).

The one read of geometry in ``publish``: no analysis function returns boundaries, and maps need
nothing else from the store.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import geopandas as gpd
import shapely

from safer_communities.errors import NoDataError

BNG = "EPSG:27700"


def read_boundaries(
    con: duckdb.DuckDBPyConnection, area_level: str, *, codes: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """``area_code``, ``area_name`` and geometry of every boundary at a level (optionally some codes)."""
    sql = "SELECT area_code, area_name, geometry FROM area_boundaries WHERE area_level = ?"
    params: list[object] = [area_level]
    if codes is not None:
        if not codes:
            return gpd.GeoDataFrame({"area_code": [], "area_name": []}, geometry=[], crs=BNG)
        sql += f" AND area_code IN ({', '.join('?' for _ in codes)})"
        params += list(codes)
    rows = con.execute(sql + " ORDER BY area_code", params).fetchall()
    if not rows:
        raise NoDataError(
            f"No {area_level} boundaries are loaded, so the map cannot be drawn.",
            found="area_boundaries has no matching rows",
            hint="Load the geography: safer ingest geography DIR.",
        )
    geometry = shapely.from_wkb([bytes(r[2]) for r in rows])
    return gpd.GeoDataFrame(
        {"area_code": [r[0] for r in rows], "area_name": [r[1] for r in rows]}, geometry=geometry, crs=BNG
    )


def lsoas_in(con: duckdb.DuckDBPyConnection, area_code: str) -> list[str]:
    """2011 LSOA codes inside a district or county of the study area (for clipping maps)."""
    rows = con.execute(
        "SELECT DISTINCT lsoa11_code FROM areas WHERE district_code = ? OR county_code = ? ORDER BY 1",
        [area_code, area_code],
    ).fetchall()
    return [r[0] for r in rows]
