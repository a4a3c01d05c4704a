"""LSOA hotspots for the web map: Getis-Ord Gi* on LSOA counts (queen contiguity, FDR-adjusted).

Published per LSOA: the hotspot class and the protected count. The z-score is rounded to one decimal
so it cannot be used to work back to a withheld small count.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis import queries, rates
from safer_communities.analysis.hotspots import hotspot_gistar_areas
from safer_communities.analysis.results import area_geometries
from safer_communities.config import Settings
from safer_communities.web import evidence as ev


def hotspots_geojson(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str,
                     period: str) -> dict[str, Any]:
    """LSOAs of the area with Gi* class, as GeoJSON in WGS84."""
    ev.check_issue(issue)
    level, name = ev.area_level(con, settings, area_code)

    def compute() -> dict[str, Any]:
        counts = rates.issue_rates(con, issue, area_level="lsoa", period=period)
        if level != "county":
            inside = set(queries.units_within(con, "lsoa", area_code))
            counts = counts[counts["area_code"].isin(inside)].reset_index(drop=True)
        polygons = area_geometries(con, "lsoa").merge(counts[["area_code", "count"]], on="area_code")
        polygons["count"] = pd.to_numeric(polygons["count"]).astype(float)
        result = hotspot_gistar_areas(polygons, "count", fdr=True, quiet=True)
        own = rates.issue_rates(con, issue, area_level=level, period=period)
        own = own[own["area_code"] == area_code]
        units, notes = ev._protected_rates(counts, own, settings)
        protected = pd.DataFrame(units)[["area_code", "area_name", "count", "count_published"]]
        out = result[["area_code", "gistar_z", "class", "label", "geometry"]].merge(protected, on="area_code")
        out["gistar_z"] = out["gistar_z"].astype(float).round(1)
        geoms = ev._geometries(con, settings, "lsoa")[["area_code", "geometry"]]
        out = geoms.merge(out.drop(columns="geometry"), on="area_code")
        collection = json.loads(out.to_json(na="null", drop_id=True))
        collection["meta"] = {**ev._meta(counts.attrs, notes), "area": {"code": area_code, "name": name,
                                                                         "level": level},
                              "method": "Getis-Ord Gi* on LSOA counts, queen contiguity, "
                                        "Benjamini-Hochberg FDR at 0.05", "crs": "EPSG:4326"}
        return collection

    return ev.cached(settings, ("hotspots", issue, area_code, period), compute)
