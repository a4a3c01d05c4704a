"""The forecast layer of the dashboard map: next month's cells for an issue, with the skill that chose
them. Published per cell: its rank and whether it is in the top 1%, 2% or 5% of the county's area; never
a count or a model score (a naive model's score is last month's count, which could be small)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from safer_communities.analysis.prevention import issue_forecast
from safer_communities.config import Settings
from safer_communities.web import evidence as ev

CELL_M = 250.0


def forecast_geojson(
    con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str, share: float = 0.01
) -> dict[str, Any]:
    """The top ``share`` cells of the county forecast inside the area, as GeoJSON in WGS84."""
    ev.check_issue(issue)
    level, name = ev.area_level(con, settings, area_code)

    def county() -> Any:
        return issue_forecast(con, issue, cell_size_m=CELL_M, quiet=True)

    def compute() -> dict[str, Any]:
        grid = ev.cached(settings, ("forecast-grid", issue), county)
        attrs = grid.attrs
        column = f"top_{share * 100:g}pct"
        cells = grid.loc[grid[column], ["cell_id", "rank", "top_1pct", "top_2pct", "top_5pct", "geometry"]]
        if level != "county":
            from safer_communities.analysis.results import boundary

            outline = boundary(con, area_code).union_all()
            cells = cells[cells.geometry.intersects(outline)]
        out = cells.sort_values("rank").to_crs("EPSG:4326")
        collection = json.loads(out.to_json(drop_id=True))
        collection["meta"] = {
            "area": {"code": area_code, "name": name, "level": level},
            "definition_id": attrs.get("definition_id"),
            "definition_version": attrs.get("definition_version"),
            "method": attrs["method"],
            "model": attrs["model"],
            "model_label": attrs["model_label"],
            "forecast_months": attrs["forecast_months"],
            "data_months": attrs["data_months"],
            "share_of_area": share,
            "cell_size_m": attrs["cell_size_m"],
            "skill": {
                "origins": attrs["origins"],
                "expected_hit_rate": round(attrs["expected_hit_rate"], 3),
                "hit_rate_min": round(attrs["expected_hit_rate_min"], 3),
                "hit_rate_max": round(attrs["expected_hit_rate_max"], 3),
                "pai": round(attrs["expected_pai"], 1),
                "beats_baselines": round(attrs["beats_baselines"], 3),
                "baselines": attrs["baselines_compared"],
            },
            "caveats": attrs.get("caveats", []),
            "crs": "EPSG:4326",
        }
        return collection

    return ev.cached(settings, ("forecast", issue, area_code, share), compute)
