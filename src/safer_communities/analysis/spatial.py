"""Store-facing wrappers of the spatial core: an issue's records from the store, on the study-area grid.

The hotspot, concentration and near-repeat statistics live in ``hotspots``, ``concentration`` and
``nearrepeat`` and work on in-memory data; these functions fetch the issue's records and the boundary
and record the definition and period in the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from safer_communities.analysis import queries, results
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import definition_for, issue_rates
from safer_communities.errors import InputError

METHODS = ("count", "kde", "gistar", "classify")
UNITS = ("lsoa", "cell", "point")


def _points(
    con: duckdb.DuckDBPyConnection,
    definition: Definition,
    period: str | Period | None,
    area_code: str | None,
    harm: bool | str,
) -> pd.DataFrame:
    points = queries.crime_points(con, definition, period=period, area_code=area_code)
    if harm:
        from safer_communities.analysis.harm import harm_weights

        weights = harm_weights(None if harm is True else str(harm))
        points["harm"] = points["crime_type"].map(weights.weights)
        unweighted = points["harm"].isna()
        if unweighted.any():
            raise InputError(
                "Some records have no harm weight, so a harm map would leave them out.",
                found=f"{int(unweighted.sum()):,} records of "
                f"{sorted(points.loc[unweighted, 'crime_type'].unique())}",
                hint="Harm-weight crime issues only (anti-social behaviour has no weight).",
            )
    return points


def issue_hotspots(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    method: str = "gistar",
    period: str | Period | None = "latest-12-months",
    area_code: str | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    harm: bool | str = False,
    quiet: bool = False,
    definitions: Definitions | Path | str | None = None,
    **options: Any,
) -> Any:
    """Hotspots of an issue on a grid clipped to the study area (or one area in it), EPSG:27700."""
    from safer_communities.analysis import hotspots

    if method not in METHODS:
        raise InputError(
            "That hotspot method is not known.", found=repr(method), hint=f"Use one of: {', '.join(METHODS)}."
        )
    definition = definition_for(issue, definitions)
    points = _points(con, definition, period, area_code, harm)
    function = {
        "count": hotspots.hotspot_count,
        "kde": hotspots.hotspot_kde,
        "gistar": hotspots.hotspot_gistar,
        "classify": hotspots.hotspot_classify,
    }[method]
    frame = function(
        points,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        weights="harm" if harm else None,
        quiet=quiet,
        boundary=results.boundary(con, area_code),
        **options,
    )
    frame.attrs.update({k: v for k, v in points.attrs.items() if k != "caveats"})
    frame.attrs["caveats"] = list(dict.fromkeys([*points.attrs["caveats"], frame.attrs.get("caveat", "")]))
    frame.attrs["caveats"] = [c for c in frame.attrs["caveats"] if c]
    return frame


def issue_concentration(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    unit: str = "lsoa",
    period: str | Period | None = "latest-12-months",
    area_code: str | None = None,
    cell_size_m: float | None = None,
    quiet: bool = False,
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Share of the issue's records in the top 1%, 5% and 10% of LSOAs, grid cells or map points.

    LSOAs and grid cells include those with no records; map points are only those with a record
    (police.uk does not publish the full list of map points), which understates concentration less
    than it seems: most map points have no record in a year. ``attrs``: ``gini``, ``units``, ``lorenz``.
    """
    from safer_communities.analysis.concentration import concentration, gini, lorenz_curve

    if unit not in UNITS:
        raise InputError("That unit is not known.", found=repr(unit), hint=f"Use one of: {', '.join(UNITS)}.")
    definition = definition_for(issue, definitions)
    if unit == "lsoa":
        rates = issue_rates(con, definition, area_level="lsoa", period=period)
        if area_code is not None:
            rates = rates[rates["area_code"].isin(queries.units_within(con, "lsoa", area_code))]
        counts, attrs = rates["count"].to_numpy(), dict(rates.attrs)
    elif unit == "cell":
        grid = issue_hotspots(
            con,
            definition,
            method="count",
            period=period,
            area_code=area_code,
            cell_size_m=cell_size_m,
            quiet=quiet,
        )
        counts, attrs = grid["count"].to_numpy(), dict(grid.attrs)
    else:
        points = queries.crime_points(con, definition, period=period, area_code=area_code)
        counts = points.groupby(["easting", "northing"]).size().to_numpy()
        attrs = dict(points.attrs)
        attrs["caveats"] = [
            *attrs.get("caveats", []),
            "Map points with no record are not published, so only points with a record count.",
        ]
    counts = np.asarray(counts, dtype=float)
    out = concentration(counts)
    out.insert(0, "unit", unit)
    out.insert(0, "issue", definition.issue)
    attrs.update(
        units=int(counts.size),
        records=int(counts.sum()),
        gini=float(gini(counts)),
        lorenz=lorenz_curve(counts),
    )
    out.attrs.update(attrs)
    return out


def read_events_csv(path: Path | str) -> pd.DataFrame:
    """Partner records with day-level dates for the near-repeat test: columns x, y (EPSG:27700), date.

    A header row is optional: without one the columns are x, y, date, the Near Repeat Calculator's own
    input layout. Dates are read as ISO (2021-03-14) or UK day-first (14/03/2021); rows whose date or
    coordinates do not parse are refused with their line numbers, never dropped silently.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("The events file does not exist.", found=str(p), hint="Give a CSV with x, y, date.")
    try:
        frame = pd.read_csv(p, dtype=str, encoding="utf-8-sig", header=None, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            "The events file cannot be read as CSV.",
            found=f"{p.name}: {exc}",
            hint="Save it as UTF-8 CSV with a header row x,y,date.",
        ) from exc
    first = frame.iloc[0].fillna("").astype(str).str.strip()
    if len(frame.columns) == 3 and pd.to_numeric(first.iloc[:1], errors="coerce").notna().all():
        frame.columns = ["x", "y", "date"]  # the Near Repeat Calculator's own layout: no header
        offset = 1
    else:
        frame = frame.iloc[1:].set_axis([c.lower() for c in first], axis=1)
        offset = 2
    missing = {"x", "y", "date"} - set(frame.columns)
    if missing:
        raise InputError(
            "The events file needs columns x, y and date.",
            found=f"{p.name}: columns {sorted(frame.columns)}",
            hint="x and y in British National Grid metres (EPSG:27700); date as 2021-03-14.",
        )
    x = pd.to_numeric(frame["x"], errors="coerce")
    y = pd.to_numeric(frame["y"], errors="coerce")
    text = frame["date"].fillna("").str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    dates = iso.fillna(uk)
    bad = x.isna() | y.isna() | dates.isna()
    if bad.any():
        lines = (np.flatnonzero(bad.to_numpy()) + offset)[:10]
        raise InputError(
            "Some events have no usable coordinates or date.",
            found=f"{p.name}: {int(bad.sum())} row(s), e.g. lines {', '.join(map(str, lines))}",
            hint="Fix or remove those rows; dates as 2021-03-14 or 14/03/2021.",
        )
    return pd.DataFrame({"x": x.to_numpy(float), "y": y.to_numpy(float), "date": dates.to_numpy()})


def hotspot_table(grid: pd.DataFrame, *, all_cells: bool = False) -> pd.DataFrame:
    """The grid as a plain table (no geometry): every cell, or only cells with records or a hot/cold class.

    A 100 m grid over a county has hundreds of thousands of cells, most empty; listing them all in JSON
    helps nobody, so by default only informative cells are kept (the GeoPackage always has every cell).
    """
    table = pd.DataFrame(grid.drop(columns="geometry", errors="ignore"))
    if not all_cells:
        keep = table["count"] > 0 if "count" in table else pd.Series(True, index=table.index)
        if "class" in table:
            keep |= table["class"] != 0
        if "category" in table:
            keep |= table["category"] != "not hot"
        table = table[keep]
    table.attrs.update(grid.attrs)
    return table.reset_index(drop=True)
