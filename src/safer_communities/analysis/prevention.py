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


def _with_store_attrs(frame: Any, points: pd.DataFrame) -> Any:
    frame.attrs.update({k: v for k, v in points.attrs.items() if k != "caveats"})
    caveats = [*points.attrs.get("caveats", []), frame.attrs.get("caveat", "")]
    frame.attrs["caveats"] = [c for c in dict.fromkeys(caveats) if c]
    return frame


def all_months(con: duckdb.DuckDBPyConnection, period: str | Period | None) -> str | Period:
    """``period``, or every month of police.uk data loaded when it is ``None``."""
    if period is not None:
        return period
    months = queries.months_loaded(con, queries.POLICE_SOURCE)
    if not months:
        return "latest-12-months"  # crime_points then says that nothing is loaded
    return Period.from_months(months[0], months[-1])


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
