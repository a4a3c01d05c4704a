"""Readers for the geography sources: LSOA boundary GeoJSON and the ONS LSOA lookups.

Each file is recognised by its structure (a GeoJSON FeatureCollection with LSOA11CD properties) or its
columns (the lookups), never by its name alone. A boundary file with a feature we cannot use is refused
whole: the boundaries define the study area, so half a district would be worse than none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyproj
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from safer_communities.errors import InputError
from safer_communities.ingest.csv_tools import (
    DISTRICT_CODE,
    LSOA_CODE,
    CsvFile,
    Reject,
    decode_text,
    parse_int,
    read_bytes,
    read_csv,
    require_columns,
)

BOUNDARY_HINT = ("Give LSOA 2011 boundaries as GeoJSON (one FeatureCollection per district, properties "
                 "LSOA11CD and LSOA11NM), e.g. from the ONS Open Geography portal; see docs/data-sources.md.")
LOOKUP_HINT = ("Geography CSVs must be the ONS 'LSOA (2011) to LSOA (2021) best fit' lookup, the "
               "LSOA11_LSOA21 population lookup or the OA11-LSOA11-LAD lookup; see docs/data-sources.md.")
_DISTRICT_IN_NAME = re.compile(r"([EWSN]0[6-9]\d{6})")
_WGS84 = pyproj.CRS.from_epsg(4326)


@dataclass
class LsoaFeature:
    code: str
    name: str | None
    geometry: BaseGeometry  # in the file's CRS


@dataclass
class BoundaryFile:
    path: Path
    crs: pyproj.CRS
    district_hint: str | None  # a LAD code in the file name, used only when no lookup names the district
    features: list[LsoaFeature]


@dataclass
class Lookups:
    """What the lookup CSVs say, keyed by LSOA 2011 code."""

    best_fit: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # lsoa11 -> (lsoa21, name21)
    lad22: dict[str, tuple[str, str]] = field(default_factory=dict)  # lsoa11 -> (LAD22CD, LAD22NM)
    links: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # lsoa11 -> [(lsoa21, persons)]
    oa_lad: dict[str, tuple[str, str]] = field(default_factory=dict)  # lsoa11 -> (LAD17CD, LAD17NM)
    lsoa_names: dict[str, str] = field(default_factory=dict)


def _property(props: dict[str, object], key: str) -> str | None:
    for name, value in props.items():
        if name.lower() == key and value is not None:
            return str(value).strip()
    return None


def _crs_of(document: dict[str, object], path: Path) -> pyproj.CRS:
    crs = document.get("crs")
    if not crs:
        return _WGS84  # RFC 7946: GeoJSON without a crs member is WGS84
    try:
        name = crs["properties"]["name"]  # type: ignore[index]
        return pyproj.CRS.from_user_input(name)
    except (KeyError, TypeError, pyproj.exceptions.CRSError) as exc:
        raise InputError("The GeoJSON file names a coordinate reference system we cannot read.",
                         found=f"{path.name}: crs {crs!r}", hint=BOUNDARY_HINT) from exc


def read_boundaries(path: Path, data: bytes | None = None) -> BoundaryFile:
    """Parse one LSOA boundary GeoJSON file (gzip or not); refuse it whole if a feature is unusable."""
    text = decode_text(read_bytes(path, data), path)
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError("The boundary file is not valid JSON.", found=f"{path.name}: {exc}",
                         hint=BOUNDARY_HINT) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise InputError("The boundary file is not a GeoJSON FeatureCollection.",
                         found=f"{path.name}: type {kind!r}", hint=BOUNDARY_HINT)
    raw_features = document.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        raise InputError("The boundary file has no features.", found=path.name, hint=BOUNDARY_HINT)
    crs = _crs_of(document, path)
    features: list[LsoaFeature] = []
    seen: dict[str, int] = {}
    for number, feature in enumerate(raw_features, start=1):
        where = f"{path.name}: feature {number}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise InputError("A boundary feature has no properties.", found=where, hint=BOUNDARY_HINT)
        code = _property(props, "lsoa11cd")
        if code is None or not LSOA_CODE.match(code):
            raise InputError("A boundary feature has no LSOA 2011 code (property LSOA11CD).",
                             found=f"{where}: LSOA11CD = {code!r}; properties {sorted(props)[:6]}",
                             hint=BOUNDARY_HINT)
        if code in seen:
            raise InputError("An LSOA appears twice in one boundary file.",
                             found=f"{where}: {code} (also feature {seen[code]})", hint=BOUNDARY_HINT)
        seen[code] = number
        try:
            geometry = shape(feature["geometry"])
        except Exception as exc:  # shapely raises several types for malformed geometry
            raise InputError("A boundary feature's geometry cannot be read.",
                             found=f"{where} ({code}): {exc}", hint=BOUNDARY_HINT) from exc
        if geometry.geom_type not in {"Polygon", "MultiPolygon"} or geometry.is_empty:
            raise InputError("A boundary feature is not a polygon.",
                             found=f"{where} ({code}): {geometry.geom_type}", hint=BOUNDARY_HINT)
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
            geometry = shapely.union_all([g for g in getattr(geometry, "geoms", [geometry])
                                          if g.geom_type in {"Polygon", "MultiPolygon"}])
        features.append(LsoaFeature(code, _property(props, "lsoa11nm"), geometry))
    hint = _DISTRICT_IN_NAME.search(path.name)
    return BoundaryFile(path, crs, hint.group(1) if hint else None, features)


def lookup_kind(table: CsvFile) -> str:
    """Which ONS lookup a CSV is, by its columns; refuse anything else."""
    columns = set(table.columns)
    if {"lsoa11cd", "lsoa21cd", "lad22cd", "lad22nm"} <= columns:
        return "lsoa_best_fit_lookup"
    if {"lsoa11cd", "lsoa21cd", "totpersons"} <= columns:
        return "lsoa_population_lookup"
    if {"oa11cd", "lsoa11cd", "lad17cd", "lad17nm"} <= columns:
        return "oa_lookup"
    raise InputError(f"{table.path.name} is not a geography lookup we recognise.",
                     found=f"columns {table.header[:10]}", hint=LOOKUP_HINT)


def read_lookup(path: Path, lookups: Lookups, data: bytes | None = None,
                ) -> tuple[str, int, list[Reject]]:
    """Add one lookup CSV to ``lookups``; returns its kind, rows read and rejected rows."""
    table = read_csv(path, decode_text(read_bytes(path, data), path))
    kind = lookup_kind(table)
    rejects: list[Reject] = list(table.rejects)
    if kind == "lsoa_best_fit_lookup":
        wanted = {"lsoa11": ("lsoa11cd",), "lsoa21": ("lsoa21cd",), "lad": ("lad22cd",),
                  "lad_name": ("lad22nm",)}
    elif kind == "lsoa_population_lookup":
        wanted = {"lsoa11": ("lsoa11cd",), "lsoa21": ("lsoa21cd",), "persons": ("totpersons",)}
    else:
        wanted = {"lsoa11": ("lsoa11cd",), "lad": ("lad17cd",), "lad_name": ("lad17nm",)}
    pos = require_columns(table, wanted, kind, LOOKUP_HINT)
    columns = table.columns
    for row in table.rows:
        values = {key: row.fields[p].strip() for key, p in pos.items()}
        bad = next((key for key in ("lsoa11", "lsoa21") if key in values
                    and not LSOA_CODE.match(values[key])), None)
        if bad is None and "lad" in values and not DISTRICT_CODE.match(values["lad"]):
            bad = "lad"
        if bad is not None:
            rejects.append((row.line, table.header[pos[bad]], f"not a GSS code: {values[bad]!r}", row.raw))
            continue
        lsoa11 = values["lsoa11"]
        if kind == "lsoa_population_lookup":
            try:
                persons = parse_int(values["persons"])
            except ValueError as exc:
                rejects.append((row.line, table.header[pos["persons"]], str(exc), row.raw))
                continue
            lookups.links.setdefault(lsoa11, []).append((values["lsoa21"], persons))
            continue
        if kind == "lsoa_best_fit_lookup":
            name21 = row.fields[columns["lsoa21nm"]].strip() if "lsoa21nm" in columns else ""
            lookups.best_fit[lsoa11] = (values["lsoa21"], name21 or None)
            lookups.lad22[lsoa11] = (values["lad"], values["lad_name"])
        else:
            lookups.oa_lad[lsoa11] = (values["lad"], values["lad_name"])
        if "lsoa11nm" in columns and row.fields[columns["lsoa11nm"]].strip():
            lookups.lsoa_names.setdefault(lsoa11, row.fields[columns["lsoa11nm"]].strip())
    return kind, table.rows_read, rejects
