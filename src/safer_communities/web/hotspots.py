"""LSOA hotspots for the web map: Getis-Ord Gi* on LSOA counts (fuzzy contiguity, FDR-adjusted).

Published per LSOA: the protected count, and the z-score and hotspot class computed from the protected
counts (a withheld count enters as a stand-in worked out from published figures only; see
``ProtectedGrid.protected_counts``). Rounding alone does not stop a reader: each z is a linear function
of its neighbourhood's counts, and a linear programme recovered every withheld count from rounded z
values. Computed from published figures, z tells a reader nothing the published counts do not.
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
from safer_communities.publish import grid as pgrid
from safer_communities.web import evidence as ev


def hotspots_geojson(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str,
                     period: str, *, internal: bool = False) -> dict[str, Any]:
    """LSOAs of the area with Gi* class, as GeoJSON in WGS84 (from the publication grid; ``internal``
    answers a period off the grid for a signed-in analyst, marked internal)."""
    ev.check_issue(issue)
    level, name = ev.area_level(con, settings, area_code)

    def compute() -> dict[str, Any]:
        found = ev._on_grid(con, settings, issue, period, "lsoa", internal)
        if found is not None:
            return _from_grid(con, settings, *found, area_code, name, level)
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
                              "method": "Getis-Ord Gi* on LSOA counts, fuzzy contiguity (within 2 m), "
                                        "Benjamini-Hochberg FDR at 0.05", "crs": "EPSG:4326",
                              **pgrid.internal_meta()}
        return collection

    return ev.cached(settings, ("hotspots", issue, area_code, period, internal), compute)


def _from_grid(con: duckdb.DuckDBPyConnection, settings: Settings, protected: pgrid.ProtectedGrid,
               gp: pgrid.GridPeriod, area_code: str, name: str, level: str) -> dict[str, Any]:
    """Gi* on the grid's protected LSOA counts: nothing here is computed from a withheld value."""
    codes = [c for c in protected.areas.loc[protected.areas["level"] == "lsoa", "area_code"]
             if level == "county" or c in set(queries.units_within(con, "lsoa", area_code))]
    frame, table = protected.table(codes, gp)
    stand_in = protected.protected_counts(codes, gp)
    polygons = area_geometries(con, "lsoa").merge(
        pd.DataFrame({"area_code": codes, "count": stand_in}), on="area_code")
    result = hotspot_gistar_areas(polygons, "count", fdr=True, quiet=True)
    protected_frame = pd.DataFrame({"area_code": codes, "area_name": frame["area_name"].to_numpy(),
                                    "count": [ev._num(v) for v in table.values["count"]],
                                    "count_published": table.published["count"].astype(str).to_numpy()})
    out = result[["area_code", "gistar_z", "class", "label"]].merge(protected_frame, on="area_code")
    out["gistar_z"] = out["gistar_z"].astype(float).round(1)
    geoms = ev._geometries(con, settings, "lsoa")[["area_code", "geometry"]]
    out = geoms.merge(out, on="area_code")
    collection = json.loads(out.to_json(na="null", drop_id=True))
    collection["meta"] = {**ev._meta(frame.attrs, table.notes),
                          "area": {"code": area_code, "name": name, "level": level},
                          "grid": {"period": gp.label, "kinds": list(gp.kinds)},
                          "method": "Getis-Ord Gi* on the published LSOA counts (a withheld count enters "
                                    "as a stand-in from published figures), fuzzy contiguity (within 2 m), "
                                    "Benjamini-Hochberg FDR at 0.05", "crs": "EPSG:4326"}
    return collection
