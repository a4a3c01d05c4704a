"""GeoPackages a GIS analyst can use as they are.

* Layer names are lower case with underscores (``serious_violence_gistar``), so unquoted SQL works.
* GeoPackage 1.2 (``VERSION=1.2``): GDAL 3.12 writes 1.4 by default, which GDAL 3.6 (Debian 12,
  QGIS LTR builds) warns about on every open.
* ``gpkg_contents`` carries each layer's title (``identifier``) and description; ``gpkg_metadata``
  the file's and each layer's period, method, cell size, definitions version, source and licence.
* ``layer_styles`` holds a QGIS style per layer (see :mod:`gis_styles`), the report's colours.
* Field names are at most 10 characters (Shapefile-safe) through :data:`SHORT_NAMES`; cell
  centres are ``easting``/``northing`` (British National Grid metres, whatever the view's CRS).
* Gi* layers carry ``conf_pct`` (90, 95 or 99, as the label says) instead of the analysis'
  ``significant`` flag, which tests p < 0.05 and so read 0 beside "hot spot, 90% confidence".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from safer_communities import ATTRIBUTION, __version__
from safer_communities.errors import InputError

GPKG_VERSION = "1.2"
GEOMETRY_COLUMN = "geom"
MAX_FIELD = 10
SHORT_NAMES = {
    "x": "easting",
    "y": "northing",
    "rate_per_1000": "rate_1000",
    "rate_per_100000": "rate_100k",
    "periods_hot": "n_hot",
    "hot_latest": "hot_latest",
    "p_adjusted": "p_adj",
    "p_value": "p_value",
    "gistar_z": "gistar_z",
    "category": "category",
    "area_code": "area_code",
    "area_name": "area_name",
    "area_level": "area_level",
    "district_code": "district",
    "weighted_count": "w_count",
    "count_shown": "count",
    "rate_shown": "rate_1000",
    "cell_size_m": "cell_m",
}
"""Analysis column -> GeoPackage field (at most 10 characters, so a Shapefile export keeps them)."""
FIELD_DESCRIPTIONS = {
    "easting": "Cell centre, British National Grid easting (m)",
    "northing": "Cell centre, British National Grid northing (m)",
    "rate_1000": "Rate per 1,000 residents (empty where withheld)",
    "rate_100k": "Rate per 100,000 residents",
    "rate_eb": "Empirical-Bayes smoothed rate per 1,000 residents: the map's classes (empty where withheld)",
    "n_hot": "Number of quarters in which the cell was a hot spot",
    "hot_latest": "1 if the cell is a hot spot in the latest quarter",
    "p_adj": "p-value after the false discovery rate adjustment (Benjamini-Hochberg)",
    "p_value": "Two-sided p-value of the Gi* z-score",
    "gistar_z": "Getis-Ord Gi* z-score",
    "class": "Gi* class: +3/+2/+1 hot at 99/95/90% confidence, negative for cold",
    "conf_pct": "Confidence of the hot or cold spot (90, 95 or 99); 0 if not significant",
    "label": "The class in words",
    "area_code": "ONS GSS code",
    "area_name": "ONS name",
    "district": "GSS code of the district",
    "band": "Map class (1 = lowest); 0 withheld, as in the report's map",
    "band_label": "Map class in words, as in the report's legend",
    "count": "Records (empty where withheld by disclosure control)",
}
_LAYER_CHARS = re.compile(r"[^a-z0-9_]+")


def layer_name(name: str) -> str:
    """Lower case, underscores only, starting with a letter: safe unquoted in SQL and in QGIS."""
    clean = _LAYER_CHARS.sub("_", name.strip().lower()).strip("_")
    clean = re.sub(r"_+", "_", clean)
    if not clean:
        raise InputError("A GeoPackage layer needs a name.", found=repr(name), hint="Pass layer='rates'.")
    return clean if clean[0].isalpha() else f"l_{clean}"


def field_names(columns: Sequence[str]) -> dict[str, str]:
    """Column -> field name of at most 10 characters, unique (short names first, then truncation)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        if column == "geometry":
            continue
        name = SHORT_NAMES.get(column, layer_name(column))
        if len(name) > MAX_FIELD:
            name = name[:MAX_FIELD]
        base, k = name, 1
        while name in used:
            suffix = str(k)
            name, k = base[: MAX_FIELD - len(suffix)] + suffix, k + 1
        used.add(name)
        out[column] = name
    return out


def gis_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A result ready for a GeoPackage: short field names, ``conf_pct``, dates and objects as text."""
    out = frame.copy()
    if "significant" in out.columns and "class" in out.columns:
        level = np.abs(pd.to_numeric(out["class"], errors="coerce").fillna(0).astype(int))
        out["conf_pct"] = level.map({0: 0, 1: 90, 2: 95, 3: 99}).astype("int32")
        out = out.drop(columns=["significant"])
    for column in out.columns:
        if column == out.geometry.name:
            continue
        series = out[column]
        if pd.api.types.is_bool_dtype(series):
            out[column] = series.astype("int32")
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d").where(series.notna(), None)
        elif series.dtype == object:
            out[column] = series.map(_text)
    names = field_names([c for c in out.columns if c != out.geometry.name])
    out = out.rename(columns=names)
    return out


def _text(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "year") else value.isoformat()
    return str(value)


@dataclass
class Layer:
    """One layer: its frame (EPSG:27700), a title, a description, metadata and a QGIS style."""

    name: str
    frame: gpd.GeoDataFrame
    title: str
    description: str
    metadata: dict[str, str] = field(default_factory=dict)
    qml: str | None = None


def write_layers(path: Path, layers: Sequence[Layer], *, metadata: Mapping[str, str] | None = None,
                 add: bool = False) -> Path:
    """Write a new GeoPackage with every layer, its metadata and its QGIS style (replaces ``path``).

    With ``add``, the layers are added to an existing GeoPackage written by this module instead.
    """
    if not layers:
        raise InputError("No layers to write.", found=str(path), hint="Pass at least one Layer.")
    add = add and path.exists()
    if not add:
        path.unlink(missing_ok=True)
    # A new file written in one go: SQLite need not sync to disk after every layer.
    previous = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        file_metadata = {"software": f"safer-communities {__version__}", "licence": ATTRIBUTION,
                         "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **(metadata or {})}
        styles = []
        for i, layer in enumerate(layers):
            name = layer_name(layer.name)
            frame = gis_frame(layer.frame)
            if frame.crs is None or not frame.crs.equals("EPSG:27700"):
                frame = frame.to_crs(27700)
            described = {**layer.metadata,
                         **{f"field {k}": v for k, v in FIELD_DESCRIPTIONS.items() if k in frame.columns}}
            first = i == 0 and not add
            pyogrio.write_dataframe(
                frame, path, layer=name, driver="GPKG", append=not first, promote_to_multi=True,
                dataset_options={"VERSION": GPKG_VERSION} if first else None,
                layer_options={"IDENTIFIER": layer.title[:255], "DESCRIPTION": layer.description,
                               "GEOMETRY_NAME": GEOMETRY_COLUMN, "SPATIAL_INDEX": "YES"},
                dataset_metadata=file_metadata if first else None,
                layer_metadata={"title": layer.title, "description": layer.description, **described})
            if layer.qml:
                styles.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                               "f_geometry_column": GEOMETRY_COLUMN, "styleName": name,
                               "styleQML": layer.qml, "styleSLD": "", "useAsDefault": True,
                               "description": layer.title, "owner": "", "ui": "",
                               "update_time": file_metadata["created"]})
        if styles:
            pyogrio.write_dataframe(pd.DataFrame(styles), path, layer="layer_styles", driver="GPKG",
                                    append=True, layer_options={"FID": "id", "ASPATIAL_VARIANT":
                                                                "GPKG_ATTRIBUTES"})
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": previous})
    return path


def write_result(frame: gpd.GeoDataFrame, path: Path, *, layer: str, title: str | None = None,
                 qml: str | None = None) -> Path:
    """One analysis result as a GeoPackage layer (the CLI's ``--gpkg``), with its metadata.

    A new layer name is added to an existing file; writing a layer that is already there replaces the file.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise InputError("This result has no geometry to map.", found=type(frame).__name__,
                         hint="Use --csv or --json for this command.")
    attrs = {k: str(v) for k, v in frame.attrs.items() if v is not None and not isinstance(v, dict | list)}
    title = title or layer.replace("_", " ")
    existing = {name for name, _ in pyogrio.list_layers(path)} if path.exists() else set()
    return write_layers(path, [Layer(layer, frame, title=title, description=attrs.get("method", title),
                                     metadata=attrs, qml=qml)], add=layer_name(layer) not in existing)
