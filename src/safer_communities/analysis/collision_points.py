"""Where injury collisions happened: STATS19's own coordinates (British National Grid), for the collision map.

STATS19 records each collision's location to the metre (easting and northing as recorded by the
police officer attending), unlike police.uk crime locations, which are snapped to anonymous map
points. Collisions are placed in an area as the rest of the road-safety analysis places them: by the
ONS district code the DfT gives (county through its districts). Rows without coordinates are counted
in ``attrs['unlocated']``, never dropped silently.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.periods import Period, add_months
from safer_communities.analysis.road_safety import _period

SEVERITY_NAMES = {1: "Fatal", 2: "Serious", 3: "Slight"}


def collision_points(con: duckdb.DuckDBPyConnection, *, period: str | Period | None = None,
                     area_code: str | None = None) -> pd.DataFrame:
    """Columns: easting, northing, severity (1 fatal, 2 serious, 3 slight), severity_name, ksi (bool)."""
    queries.require_areas(con)
    p = _period(con, period)
    area_filter, params = "", []
    if area_code is not None:
        queries.units_within(con, "district", area_code)
        area_filter = " AND ? IN (x.district_code, x.county_code)"
        params = [area_code]
    frame = con.execute(
        f"""
        SELECT k.easting, k.northing, k.accident_severity AS severity
        FROM collisions k JOIN (SELECT DISTINCT district_code, county_code FROM areas) x
             ON k.local_authority_ons_district = x.district_code
        WHERE k.date >= ? AND k.date < ?{area_filter}
        """,
        [p.start, add_months(p.end, 1), *params],
    ).fetch_df()
    located = frame["easting"].notna() & frame["northing"].notna()
    out = frame[located].reset_index(drop=True)
    out["severity"] = out["severity"].astype(int)
    out["severity_name"] = out["severity"].map(SEVERITY_NAMES)
    out["ksi"] = out["severity"] <= 2
    out.attrs.update(period_label=p.label, unlocated=int((~located).sum()), source="stats19")
    return out
