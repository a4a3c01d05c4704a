"""Turning analysis results into records, CSV and GeoPackage files (the CLI and web print these)."""

from __future__ import annotations

import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from safer_communities.analysis.table import Table
from safer_communities.errors import InputError, NoDataError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


def _clean(value: Any) -> Any:
    if value is None:
        return None
    pd = sys.modules.get("pandas")  # without pandas loaded there can be no pandas value to clean
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return None
    if pd is not None and isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def to_records(frame: pd.DataFrame | Table) -> list[dict[str, Any]]:
    """Plain JSON-ready records: NaN/NA -> null, dates -> ISO text, numpy scalars -> Python; no geometry."""
    if isinstance(frame, Table):
        return frame.records()
    columns = [c for c in frame.columns if c != "geometry"]
    return [
        {c: _clean(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


def clean_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Result metadata made JSON-ready (recursively)."""

    pd = sys.modules.get("pandas")

    def walk(v: Any) -> Any:
        if pd is not None and isinstance(v, pd.DataFrame):  # e.g. a Lorenz curve kept beside the result
            return to_records(v)
        if pd is not None and isinstance(v, pd.Series):
            return walk(v.to_dict())
        if isinstance(v, dict):
            return {str(k): walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return _clean(v)

    return walk(dict(attrs))


def write_csv(frame: pd.DataFrame, path: Path | str) -> None:
    """CSV without geometry; ``-`` is stdout. Text from the data is made formula-safe (csv_safety)."""
    import pandas as pd

    from safer_communities.csv_safety import safe_frame

    columns = [c for c in frame.columns if c != "geometry"]
    table = pd.DataFrame(to_records(frame), columns=columns)
    for column in columns:  # whole numbers with blanks (a withheld count) stay "1026", not "1026.0"
        if str(frame[column].dtype) == "Int64":
            table[column] = table[column].astype("Int64")
    table = safe_frame(table)
    if str(path) == "-":
        import sys

        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        table.to_csv(path, index=False, lineterminator="\n")


def write_csv_metadata(frame: pd.DataFrame, path: Path | str, *, title: str, notes: list[str]) -> Path:
    """The notes a CSV cannot carry, beside it as ``PATH-metadata.json`` (the CSV on the Web naming).

    A CSV has no place for "3 of 12 months are missing"; a reader who opens only the CSV would take
    the totals as complete, so every CSV file written gets this sidecar.
    """
    import json

    sidecar = Path(f"{path}-metadata.json")
    body = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": Path(path).name,
        "dc:title": title,
        "notes": notes,
        "meta": clean_attrs(frame.attrs),
        "tableSchema": {"columns": [{"name": str(c)} for c in frame.columns if c != "geometry"]},
    }
    sidecar.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return sidecar


def area_geometries(con: duckdb.DuckDBPyConnection, area_level: str) -> gpd.GeoDataFrame:
    """Boundaries of the study-area units at ``area_level`` (EPSG:27700) from ``area_boundaries``."""
    import geopandas as gpd
    from shapely import wkb

    rows = con.execute(
        "SELECT area_code, geometry FROM area_boundaries WHERE area_level = ?", [area_level]
    ).fetchall()
    if not rows:
        raise NoDataError(
            f"No {area_level} boundaries are loaded, so no map can be written.",
            found="area_boundaries has none at that level",
            hint="Load boundaries: safer ingest geography ... with the LSOA GeoJSON files.",
        )
    return gpd.GeoDataFrame(
        {"area_code": [r[0] for r in rows]}, geometry=[wkb.loads(bytes(r[1])) for r in rows], crs="EPSG:27700"
    )


def boundary(con: duckdb.DuckDBPyConnection, area_code: str | None = None) -> gpd.GeoSeries:
    """The study area (or one area in it) as a boundary for hotspot grids."""
    import geopandas as gpd
    from shapely import wkb

    if area_code is None:
        rows = con.execute("SELECT geometry FROM area_boundaries WHERE area_level = 'county'").fetchall()
    else:
        rows = con.execute("SELECT geometry FROM area_boundaries WHERE area_code = ?", [area_code]).fetchall()
    if not rows:
        raise NoDataError(
            "No boundary is loaded for that area.",
            found=area_code or "county level",
            hint="Load boundaries: safer ingest geography ... with the LSOA GeoJSON files.",
        )
    return gpd.GeoSeries([wkb.loads(bytes(r[0])) for r in rows], crs="EPSG:27700")


def with_geometry(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, area_level: str) -> gpd.GeoDataFrame:
    """Attach the boundaries of ``area_level`` to a result keyed by ``area_code``."""
    import geopandas as gpd

    geoms = area_geometries(con, area_level)
    out = geoms.merge(frame, on="area_code", how="right")
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:27700")


def write_gpkg(frame: gpd.GeoDataFrame, path: Path | str, *, layer: str) -> None:
    """Write a GeoPackage layer (EPSG:27700), with dates as text so every GIS reads them."""
    import geopandas as gpd
    import pandas as pd

    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame:
        raise InputError(
            "This result has no geometry to map.",
            found=type(frame).__name__,
            hint="Use --csv or --json for this command.",
        )
    out = frame.copy()
    for column in out.columns:
        if column != "geometry" and (
            pd.api.types.is_datetime64_any_dtype(out[column]) or out[column].dtype == object
        ):
            out[column] = out[column].map(lambda v: None if _clean(v) is None else str(_clean(v)))
    out.to_file(path, layer=layer, driver="GPKG")
