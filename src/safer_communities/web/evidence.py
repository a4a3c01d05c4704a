"""The evidence the web shows, always through disclosure control, cached per store version.

Routes call these functions; they call ``analysis`` for the numbers and ``publish.disclosure`` before
anything leaves. A suppressed value is ``None`` with its published symbol (``<5``, ``[c]``, ``[u]``,
``[x]``) beside it, never a number a reader could use.

Police.uk figures are served only from the publication grid (:mod:`safer_communities.publish.grid`): one
protection pattern per cell for every page, map and API answer, so no two answers can be combined or
differenced into a withheld count. A period off the grid is refused, unless ``internal`` (a signed-in
analyst), when it is protected on its own and marked internal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis import placement, queries, rates, trends
from safer_communities.analysis.definitions import Definitions, load_definitions
from safer_communities.config import Settings
from safer_communities.errors import InputError, NotFoundError
from safer_communities.publish import grid as pgrid
from safer_communities.publish.disclosure import suppress_counts, suppress_table
from safer_communities.web import road_safety as road
from safer_communities.web.cache import CACHE, settings_key, store_version

RATE_COLUMNS = {"rate_per_1000": "count", "ci_low": "count", "ci_high": "count"}
# Which rate field a result carries and how to label it (road safety is per 100,000: web.road_safety).
POLICE_LABELS = {"rate_key": "rate_per_1000", "rate_label": "per 1,000 residents", "count_label": "Records",
                 "count_noun": "records"}


def cached(settings: Settings, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per store version and disclosure settings (``web.cache``: an ingest changes
    the store file, so the cache moves on)."""
    return CACHE.get((*key, settings_key(settings), store_version(settings.db)), compute)


def peek(settings: Settings, key: tuple) -> Any:
    """The cached value for ``key``, or None (cheap enough for the event loop)."""
    return CACHE.peek((*key, settings_key(settings), store_version(settings.db)))


_DEFS: list[Definitions] = []


def definitions() -> Definitions:
    if not _DEFS:
        _DEFS.append(load_definitions())
    return _DEFS[0]


def issue_options() -> list[dict[str, Any]]:
    """Every issue of the definitions, and whether the dashboard can measure it (police.uk and STATS19)."""
    measured = (queries.POLICE_SOURCE, queries.STATS19_SOURCE)
    return [{"id": d.issue, "label": d.label, "source": d.source, "measurable": d.source in measured,
             "caveat": d.caveat, "definition_version": d.version}
            for d in definitions()]


def check_issue(issue: str) -> str:
    defs = definitions()
    if issue not in {d.issue for d in defs}:
        raise NotFoundError("That issue is not known.", found=repr(issue),
                            hint="Use one of: " + ", ".join(d.issue for d in defs) + ".")
    return issue


def area_options(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict[str, str]]:
    """The county then its districts (what the dashboard's area filter offers)."""
    def compute() -> list[dict[str, str]]:
        out = []
        for level in ("county", "district"):
            for row in queries.area_list(con, level).itertuples():
                out.append({"code": str(row.area_code), "name": str(row.area_name), "level": level})
        return out

    return cached(settings, ("areas",), compute)


def area_level(con: duckdb.DuckDBPyConnection, settings: Settings, code: str) -> tuple[str, str]:
    """(level, name) of a county or district code of the study area."""
    for area in area_options(con, settings):
        if area["code"] == code:
            return area["level"], area["name"]
    raise NotFoundError("That area is not the county or a district of the study area.", found=repr(code),
                        hint="Use a code listed by /api/v1/areas.")


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _records(frame: pd.DataFrame, published: pd.DataFrame, values: pd.DataFrame, columns: list[str]
             ) -> list[dict[str, Any]]:
    out = []
    for i in range(len(frame)):
        row: dict[str, Any] = {"area_code": str(frame["area_code"].iloc[i]),
                               "area_name": str(frame["area_name"].iloc[i])}
        for col in columns:
            row[col] = _num(values[col].iloc[i])
            row[f"{col}_published"] = str(published[col].iloc[i])
        out.append(row)
    return out


def _meta(attrs: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    keep = ("definition_id", "definition_version", "period_label", "period_start", "period_end",
            "missing_months", "proxy", "caveats", "area_level", "population_note", "rate_basis",
            "unlocated")
    return {**{k: attrs[k] for k in keep if k in attrs}, "disclosure_notes": notes}


def _protected_rates(table: pd.DataFrame, total: pd.DataFrame, settings: Settings) -> tuple[list, list]:
    """Rates of units with their total as a known row, so no withheld cell can be worked out from it."""
    parts = placement.with_unplaced_row(table, total)  # the force-level total counts unlocated records
    frame = pd.concat([parts, total], ignore_index=True)
    key = "__total__"
    frame["key"] = [*parts["area_code"].astype(str), key]
    published = suppress_table(frame, count_columns=["count"], rate_columns=RATE_COLUMNS, total_row=key,
                               key_column="key", settings=settings, decimals=1)
    n = len(table)
    recs = _records(frame.iloc[:n], published.published.iloc[:n], published.values.iloc[:n],
                    ["count", "population", "rate_per_1000", "ci_low", "ci_high"])
    return recs, published.notes


def issue_grid(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str) -> pgrid.ProtectedGrid:
    """The issue's protected publication grid, built once per store version."""
    return cached(settings, ("grid", issue), lambda: pgrid.protect_issue(
        con, issue, settings=settings, definitions=definitions()))


def _on_grid(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, period: str, level: str,
             internal: bool) -> tuple[pgrid.ProtectedGrid, pgrid.GridPeriod] | None:
    """The grid and period to serve from, or None for an analyst's internal answer off the grid."""
    protected = issue_grid(con, settings, issue)
    try:
        return protected, protected.period(period, level)
    except pgrid.OffGridError:
        if internal:
            return None
        raise


def _grid_rates(protected: pgrid.ProtectedGrid, gp: pgrid.GridPeriod, area_code: str, name: str,
                level: str, unit_level: str, issue: str, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    frame, table = protected.table(protected.children(area_code), gp, with_total=area_code)
    columns = ["count", "population", "rate_per_1000", "ci_low", "ci_high"]
    records = _records(frame, table.published, table.values, columns)
    cov = queries.coverage(con, queries.POLICE_SOURCE, gp.period)
    attrs = {**frame.attrs, "area_level": unit_level, "caveats": [*frame.attrs["caveats"],
                                                                  *([cov.note()] if cov.note() else [])],
             "population_note": f"Mid-{gp.period.end.year} population estimates (or the latest earlier).",
             "rate_basis": "per 1,000 residents over the whole period (not annualised)"}
    meta = {**_meta(attrs, table.notes), "grid": {"period": gp.label, "kinds": list(gp.kinds)}}
    return {"area": {"code": area_code, "name": name, "level": level}, "issue": issue,
            "headline": records[-1], "unit_level": unit_level, "units": records[:-1], **POLICE_LABELS,
            "meta": meta}


def rates_by_area(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str,
                  period: str, *, internal: bool = False) -> dict[str, Any]:
    """The area's headline and its units (districts of the county, LSOAs of a district), protected.

    Served from the publication grid; ``internal`` (signed in) also answers periods off the grid."""
    check_issue(issue)
    level, name = area_level(con, settings, area_code)

    def compute() -> dict[str, Any]:
        if issue == road.ISSUE:
            return road.rates_by_area(con, level, name, area_code, period, settings)
        unit_level = "district" if level == "county" else "lsoa"
        found = _on_grid(con, settings, issue, period, unit_level, internal)
        if found is not None:
            return _grid_rates(*found, area_code, name, level, unit_level, issue, con)
        own = rates.issue_rates(con, issue, area_level=level, period=period)
        own = own[own["area_code"] == area_code].reset_index(drop=True)
        units = rates.issue_rates(con, issue, area_level=unit_level, period=period)
        if unit_level == "lsoa":
            inside = set(queries.units_within(con, "lsoa", area_code))
            units = units[units["area_code"].isin(inside)].reset_index(drop=True)
        head = suppress_table(own, count_columns=["count"], rate_columns=RATE_COLUMNS, settings=settings)
        headline = _records(own, head.published, head.values,
                            ["count", "population", "rate_per_1000", "ci_low", "ci_high"])[0]
        unit_records, notes = _protected_rates(units, own, settings)
        return {"area": {"code": area_code, "name": name, "level": level}, "issue": issue,
                "headline": headline, "unit_level": unit_level, "units": unit_records, **POLICE_LABELS,
                "meta": {**_meta(units.attrs, list(dict.fromkeys(head.notes + notes))),
                         **pgrid.internal_meta()}}

    return cached(settings, ("rates", issue, area_code, period, internal), compute)


def trend(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str,
          period: str | None, *, internal: bool = False) -> dict[str, Any]:
    """Monthly counts in the area (a month not in the store is a gap, shown ``[x]``), protected.

    Served from the publication grid (each month and the total are cells of it); ``internal`` also
    answers periods off the grid."""
    check_issue(issue)
    level, name = area_level(con, settings, area_code)

    def compute() -> dict[str, Any]:
        if issue == road.ISSUE:
            return road.trend(con, level, name, area_code, period, settings)
        found = _on_grid(con, settings, issue, period or "latest-12-months", level, internal)
        if found is not None:
            protected, gp = found
            table = protected.series(area_code, gp)
            months = list(table.published.index[:-1])
            points = [{"month": m, "count": _num(table.values["count"].loc[m]),
                       "published": str(table.published["count"].loc[m])} for m in months]
            total = {"count": _num(table.values["count"].iloc[-1]),
                     "published": str(table.published["count"].iloc[-1])}
            cov = queries.coverage(con, queries.POLICE_SOURCE, gp.period)
            attrs = {"definition_id": protected.definition.issue,
                     "definition_version": protected.definition.version, "period_label": gp.label,
                     "period_start": gp.period.start.isoformat(), "period_end": gp.period.end.isoformat(),
                     "missing_months": [m.isoformat() for m in cov.missing],
                     "proxy": protected.definition.proxy,
                     "caveats": [c for c in (protected.definition.caveat, cov.note()) if c]}
            return {"area": {"code": area_code, "name": name, "level": level}, "issue": issue,
                    "months": points, "total": total,
                    "meta": {**_meta(attrs, table.notes),
                             "grid": {"period": gp.label, "kinds": list(gp.kinds)}}}
        series = trends.monthly_series(con, issue, area_level=level, area_code=area_code, period=period)
        series = series[series["area_code"] == area_code]
        counts = pd.Series(series["count"].astype("Float64").to_numpy(),
                           index=[pd.Timestamp(m).strftime("%Y-%m") for m in series["month"]])
        table = suppress_counts(counts, settings=settings, with_total=True)
        points = [{"month": m, "count": _num(table.values["count"].loc[m]),
                   "published": str(table.published["count"].loc[m])} for m in counts.index]
        total = {"count": _num(table.values["count"].iloc[-1]),
                 "published": str(table.published["count"].iloc[-1])}
        return {"area": {"code": area_code, "name": name, "level": level}, "issue": issue,
                "months": points, "total": total, "meta": {**_meta(series.attrs, table.notes),
                                                           **pgrid.internal_meta()}}

    return cached(settings, ("trend", issue, area_code, period or "", internal), compute)


def _geometries(con: duckdb.DuckDBPyConnection, settings: Settings, level: str) -> Any:
    """Boundaries in WGS84, simplified to about 20 m (plenty for a choropleth, far smaller to send)."""
    def compute() -> Any:
        from safer_communities.analysis.results import area_geometries
        from safer_communities.web import compact

        geoms = area_geometries(con, level)
        geoms["geometry"] = geoms.geometry.simplify(20, preserve_topology=True)
        geoms = geoms.to_crs(4326)
        # About 1 m, point by point: GEOS's 1e-5 snapping pinched narrow estuaries into false holes.
        geoms["geometry"] = compact.quantise(geoms.geometry.values)
        return geoms

    return cached(settings, ("geometries", level), compute)


def rates_geojson(con: duckdb.DuckDBPyConnection, settings: Settings, issue: str, area_code: str,
                  period: str, *, internal: bool = False) -> dict[str, Any]:
    """The area's units as a GeoJSON FeatureCollection (WGS84) with their protected counts and rates."""
    result = rates_by_area(con, settings, issue, area_code, period, internal=internal)

    def compute() -> dict[str, Any]:
        import json

        geoms = _geometries(con, settings, result["unit_level"])
        props = pd.DataFrame(result["units"])
        frame = geoms.merge(props, on="area_code", how="inner")
        if frame.empty:
            raise InputError("No boundaries match the areas of this result.", found=area_code,
                             hint="Load boundaries with 'safer ingest geography'.")
        from safer_communities.publish.map_classes import classes_for_units

        # The report's classes and colours (empirical-Bayes smoothed quantiles, viridis), not the browser's.
        key = result.get("rate_key", "rate_per_1000")
        band, classes, method = classes_for_units(frame, rate_column=key,
                                                  per=100000.0 if "100000" in key else 1000.0)
        frame = frame.assign(band=band)
        if result["unit_level"] == "lsoa":  # names beside codes: "Preston 007A, Brookfield ward"
            from safer_communities.publish.place_names import lsoa_place

            frame["place"] = frame["area_code"].map(lsoa_place)
        collection = json.loads(frame.to_json(na="null", drop_id=True))
        labels = {k: result.get(k, v) for k, v in POLICE_LABELS.items()}
        collection["meta"] = {**result["meta"], **labels, "unit_level": result["unit_level"],
                              "area": result["area"], "crs": "EPSG:4326", "classes": classes,
                              "classes_method": method}
        return collection

    return cached(settings, ("geojson", issue, area_code, period, internal), compute)
