"""Store-facing wrappers for prevention planning: forecasts, emerging hot spots, repeat places, smoothed
rates. Each fetches the issue's records and the study-area boundary and records the definition and
period, as ``analysis/spatial.py`` does for the hotspot maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis import queries, results
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import definition_for
from safer_communities.errors import NoDataError


def _with_store_attrs(frame: Any, points: pd.DataFrame) -> Any:
    frame.attrs.update({k: v for k, v in points.attrs.items() if k != "caveats"})
    caveats = [*points.attrs.get("caveats", []), frame.attrs.get("caveat", "")]
    frame.attrs["caveats"] = [c for c in dict.fromkeys(caveats) if c]
    return frame


def all_months(con: duckdb.DuckDBPyConnection, period: str | Period | None) -> str | Period:
    """``period``, or every month of police.uk data loaded when it is ``None``."""
    if period is not None:
        return period
    try:
        return queries.loaded_span(con, queries.POLICE_SOURCE)
    except NoDataError:
        return "latest-12-months"  # crime_points then says that nothing is loaded


def issue_forecast(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = None,
    area_code: str | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    horizon_months: int = 1,
    focus_share: float = 0.01,
    quiet: bool = False,
    definitions: Definitions | Path | str | None = None,
) -> Any:
    """Next month's (or quarter's) cells for an issue, with every model's rolling-origin skill.

    ``period`` is the data the models learn from and are scored on (default: every month loaded).
    """
    from safer_communities.analysis.forecast import hotspot_forecast

    definition = definition_for(issue, definitions)
    points = queries.crime_points(con, definition, period=all_months(con, period), area_code=area_code)
    frame = hotspot_forecast(
        points,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        quiet=quiet,
        boundary=results.boundary(con, area_code),
        horizon_months=horizon_months,
        focus_share=focus_share,
    )
    return _with_store_attrs(frame, points)


def issue_emerging(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = None,
    area_code: str | None = None,
    cell_size_m: float | None = None,
    periods: str = "month",
    quiet: bool = False,
    definitions: Definitions | Path | str | None = None,
    stand_in_below: int | None = None,
) -> Any:
    """Emerging hot spot categories of an issue on the study-area grid (default: every month loaded);
    ``stand_in_below`` for publication (small cell counts as one stand-in, see ``hotspot_emerging``)."""
    from safer_communities.analysis.emerging import hotspot_emerging

    definition = definition_for(issue, definitions)
    points = queries.crime_points(con, definition, period=all_months(con, period), area_code=area_code)
    frame = hotspot_emerging(
        points,
        cell_size_m=cell_size_m,
        quiet=quiet,
        boundary=results.boundary(con, area_code),
        periods=periods,
        stand_in_below=stand_in_below,
    )
    return _with_store_attrs(frame, points)


def issue_repeat_places(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = "latest-12-months",
    area_code: str | None = None,
    top: int = 20,
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """The map points holding most of an issue in the study area, with police.uk's street text."""
    from safer_communities.analysis.repeat_places import repeat_places

    definition = definition_for(issue, definitions)
    points = queries.crime_points(con, definition, period=period, area_code=area_code)
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    where, params = queries._crime_filter(definition)
    labels = con.execute(
        f"""SELECT c.easting, c.northing, mode(c.location) AS location FROM crimes c
        WHERE {where} AND c.month BETWEEN ? AND ? AND c.easting IS NOT NULL GROUP BY ALL""",
        [*params, p.start, p.end],
    ).fetch_df()
    points = points.merge(labels, on=["easting", "northing"], how="left")
    frame = repeat_places(points, top=top)
    frame.insert(0, "issue", definition.issue)
    return _with_store_attrs(frame, points)


def issue_smoothed_rates(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = "latest-12-months",
    permutations: int = 999,
    seed: int = 0,
    definitions: Definitions | Path | str | None = None,
) -> Any:
    """LSOA rates per 1,000 residents: raw, empirical-Bayes (global and spatial), local Moran's I class.

    LSOAs without a population estimate are left out (and counted in the caveats), never given a zero.
    """
    from safer_communities.analysis.rates import issue_rates
    from safer_communities.analysis.smoothing import eb_global, eb_spatial, local_moran, lsoa_weights

    definition = definition_for(issue, definitions)
    rates = issue_rates(con, definition, area_level="lsoa", period=period, definitions=definitions)
    frame = results.with_geometry(con, rates, "lsoa")
    known = frame["population"].notna() & (pd.to_numeric(frame["population"], errors="coerce") > 0)
    left_out = int((~known).sum())
    frame = frame[known].reset_index(drop=True)
    e = frame["count"].to_numpy(float)
    b = frame["population"].to_numpy(float)
    weights = lsoa_weights(frame)
    frame["eb_global_per_1000"] = eb_global(e, b) * 1000
    frame["eb_spatial_per_1000"] = eb_spatial(e, b, weights) * 1000
    moran = local_moran(frame["eb_global_per_1000"].to_numpy(), weights, permutations=permutations, seed=seed)
    for column in ("local_i", "p_sim", "p_adjusted", "cluster"):
        frame[column] = moran[column].to_numpy()
    frame.attrs.update(rates.attrs)
    caveats = list(rates.attrs.get("caveats", []))
    caveats.append(
        "Empirical-Bayes rates shrink each LSOA's rate towards the county rate (global) or its "
        "neighbourhood's (spatial), more so where few people live (Marshall 1991). Clusters: local "
        f"Moran's I on the global EB rates, {permutations} conditional permutations, Benjamini-Hochberg "
        "FDR at 5%; neighbours are LSOAs within 2 m of each other."
    )
    if left_out:
        caveats.append(f"{left_out} LSOA(s) without a population estimate were left out (not zeros).")
    frame.attrs["caveats"] = caveats
    frame.attrs["method"] = "empirical-Bayes smoothed rates and local Moran's I"
    return frame
