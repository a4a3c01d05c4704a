"""The study area: LSOA boundaries, LSOA 2011/2021 codes, districts, upper tiers and counties.

The LSOA boundary files given define the study area. The ONS lookups add the LSOA 2021 codes, so
police.uk files from 2024 on (2021 codes) resolve to the same areas as older ones (2011 codes):

* ``areas`` has one row per 2011 code and one per 2021 code that differs from every 2011 code;
  ``lsoa11_code`` is the 2011 LSOA a 2021 LSOA counts under (for a merged LSOA, the 2011 LSOA holding
  most of its Census 2021 population).
* New 2021 LSOAs made by splitting a 2011 LSOA are missing from the best-fit lookup (it maps each
  2011 LSOA to one 2021 LSOA); they are found in the population lookup (LSOA11_LSOA21PopLookups).
* District (current, LAD22) from the best-fit lookup, else the OA lookup, else the LAD code in the
  boundary file's name; upper tier and county from the shipped code table ``data/district_county.csv``
  (the Lancashire-14 roll up to the police force area E23000003 "Lancashire"), extended by
  ``--county-lookup``.

``area_boundaries`` holds each LSOA in British National Grid and the district and county polygons
dissolved from them without sliver holes (``store.geometry.dissolve``).
Re-ingesting replaces what the new files cover: the districts they hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from safer_communities.errors import InputError
from safer_communities.ingest.common import FileReport, IngestReport, NullProgress, Progress
from safer_communities.ingest.csv_tools import (
    DISTRICT_CODE,
    Reject,
    close_report,
    decode_text,
    list_files,
    open_report,
)
from safer_communities.ingest.geography_read import (
    BOUNDARY_HINT,
    BoundaryFile,
    Lookups,
    read_boundaries,
    read_lookup,
)
from safer_communities.store.geometry import dissolve

BNG = 27700
GEOGRAPHY_KINDS = ("lsoa_boundaries", "lsoa_best_fit_lookup", "lsoa_population_lookup", "oa_lookup")
_COUNTY_COLUMNS = ("district_code", "upper_tier_code", "upper_tier_name", "county_code", "county_name")
_COUNTY_HINT = ("Pass --county-lookup CSV with columns district_code,upper_tier_code,upper_tier_name,"
                "county_code,county_name for the districts outside the shipped table (docs/data-sources.md).")
_AREA_COLUMNS = ["lsoa_code", "lsoa_name", "lsoa_vintage", "lsoa11_code", "district_code", "district_name",
                 "upper_tier_code", "upper_tier_name", "county_code", "county_name"]


def read_county_table(text: str, source: str) -> dict[str, dict[str, str]]:
    """district_code -> upper tier and county codes and names, from a code-table CSV."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _county_rows(reader, source)
    except csv.Error as exc:
        raise InputError("The county lookup cannot be read as CSV.", found=f"{source}: {exc}",
                         hint=_COUNTY_HINT) from exc


def _county_rows(reader: csv.DictReader[str], source: str) -> dict[str, dict[str, str]]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in _COUNTY_COLUMNS if c not in header]
    if missing:
        raise InputError("The county lookup is missing required columns.",
                         found=f"{source}: missing {missing}", hint=_COUNTY_HINT)
    table: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        if not DISTRICT_CODE.match(clean["district_code"]) or not all(clean[c] for c in _COUNTY_COLUMNS):
            raise InputError("A county lookup row is incomplete or has a bad district code.",
                             found=f"{source}: line {line}: {clean}", hint=_COUNTY_HINT)
        table[clean["district_code"]] = clean
    return table


def county_table(county_lookup: Path | None) -> dict[str, dict[str, str]]:
    """The shipped Lancashire-14 table, extended (or overridden) by the user's CSV."""
    shipped = resources.files("safer_communities").joinpath("data/district_county.csv").read_text("utf-8")
    table = read_county_table(shipped, "data/district_county.csv")
    if county_lookup is not None:
        table.update(read_county_table(decode_text(county_lookup.read_bytes(), county_lookup),
                                       county_lookup.name))
    return table


def _district_of(code: str, boundary: BoundaryFile, lookups: Lookups,
                 counties: dict[str, dict[str, str]]) -> tuple[str, str] | None:
    if code in lookups.lad22:
        return lookups.lad22[code]
    if code in lookups.oa_lad:
        return lookups.oa_lad[code]
    hint = boundary.district_hint
    if hint and hint in counties and counties[hint].get("district_name"):
        return hint, counties[hint]["district_name"]
    return None


def build_areas(boundaries: list[BoundaryFile], lookups: Lookups, counties: dict[str, dict[str, str]],
                ) -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``areas`` for the study area (2011 codes, then differing 2021 codes) and announcements."""
    rows: dict[str, list[object]] = {}
    district: dict[str, tuple[str, str]] = {}
    unnamed: list[str] = []
    for boundary in boundaries:
        for feature in boundary.features:
            found = _district_of(feature.code, boundary, lookups, counties)
            if found is None:
                unnamed.append(feature.code)
                continue
            district[feature.code] = found
            name = feature.name or lookups.lsoa_names.get(feature.code)
            rows[feature.code] = [feature.code, name, 2011, feature.code, *found]
    if unnamed:
        raise InputError("The district of some LSOAs is not known.", found=f"{len(unnamed)} LSOAs, e.g. "
                         f"{unnamed[:5]}", hint="Include the ONS best-fit lookup "
                         "(lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv) in the same command.")
    missing = sorted({d for d, _ in district.values()} - set(counties))
    if missing:
        names = sorted({f"{d} {n}" for d, n in district.values() if d in missing})
        raise InputError("Some districts have no upper tier or county in the code table.",
                         found=", ".join(names), hint=_COUNTY_HINT)
    notes: list[str] = []
    # 2021 codes: the parent is the 2011 LSOA with most of the 2021 LSOA's population (population
    # lookup), else the 2011 LSOA whose best fit it is.
    parent: dict[str, tuple[int, str]] = {}
    names21: dict[str, str | None] = {}
    for code11 in rows:
        if code11 in lookups.best_fit:
            code21, name21 = lookups.best_fit[code11]
            names21[code21] = name21
            parent.setdefault(code21, (-1, code11))
    for code11 in rows:
        for code21, persons in lookups.links.get(code11, []):
            best = parent.get(code21)
            if best is None or persons > best[0] or (persons == best[0] and code11 < best[1]):
                parent[code21] = (persons, code11)
    only_population = 0
    for code21, (_, code11) in sorted(parent.items()):
        if code21 in rows:
            continue
        only_population += code21 not in names21
        rows[code21] = [code21, names21.get(code21), 2021, code11, *district[code11]]
    if not lookups.best_fit and not lookups.links:
        notes.append("No LSOA 2021 lookup given: police.uk files with 2021 LSOA codes will not resolve. Add "
                     "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv and LSOA11_LSOA21PopLookups.csv.")
    elif not lookups.links:
        notes.append("No LSOA11_LSOA21PopLookups.csv given: 2021 LSOAs made by splitting a 2011 LSOA are not "
                     "in the best-fit lookup and will not resolve.")
    elif only_population:
        notes.append(f"{only_population} LSOA 2021 code(s) resolved through the population lookup only "
                     "(new split LSOAs missing from the best-fit lookup).")
    frame = pd.DataFrame(list(rows.values()), columns=_AREA_COLUMNS[:6])
    for column in _AREA_COLUMNS[6:]:
        frame[column] = [counties[d][column] for d in frame["district_code"]]
    return frame.astype({"lsoa_vintage": "int64"}), notes


def _lsoa_polygons(boundaries: list[BoundaryFile], areas: pd.DataFrame) -> gpd.GeoDataFrame:
    """Every LSOA polygon in British National Grid, with its district."""
    parts = []
    for boundary in boundaries:
        frame = gpd.GeoDataFrame({"area_code": [f.code for f in boundary.features],
                                  "area_name": [f.name for f in boundary.features]},
                                 geometry=[f.geometry for f in boundary.features], crs=boundary.crs)
        parts.append(frame.to_crs(BNG))
    lsoas = pd.concat(parts, ignore_index=True).drop_duplicates("area_code", keep="last")
    district = areas.set_index("lsoa_code")["district_code"]
    lsoas["district_code"] = lsoas["area_code"].map(district)
    return gpd.GeoDataFrame(lsoas, geometry="geometry", crs=BNG)


def _boundary_rows(level: str, codes: list[str], names: list[str | None],
                   geometries: list[shapely.Geometry]) -> pd.DataFrame:
    return pd.DataFrame({"area_code": codes, "area_level": level, "area_name": names,
                         "area_m2": [float(g.area) for g in geometries],
                         "geometry": [shapely.to_wkb(g) for g in geometries]}).astype(
        {"area_name": "object", "geometry": "object"})


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_geography_new", frame)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) "
                    f"SELECT {', '.join(frame.columns)} FROM _geography_new")
    finally:
        con.unregister("_geography_new")


def _dissolve_counties(con: duckdb.DuckDBPyConnection, counties: set[str]) -> None:
    """County polygons from every LSOA in the store that rolls up to them (earlier loads included)."""
    for county in sorted(counties):
        rows = con.execute(
            "SELECT b.geometry, a.county_name FROM area_boundaries b "
            "JOIN areas a ON a.lsoa_code = b.area_code WHERE b.area_level = 'lsoa' AND a.county_code = ?",
            [county]).fetchall()
        geometry = dissolve(shapely.from_wkb([r[0] for r in rows]))
        con.execute("DELETE FROM area_boundaries WHERE area_level = 'county' AND area_code = ?", [county])
        _insert(con, "area_boundaries", _boundary_rows("county", [county], [rows[0][1]], [geometry]))


def _replace(con: duckdb.DuckDBPyConnection, areas: pd.DataFrame, lsoas: gpd.GeoDataFrame) -> set[str]:
    """Delete what the new load covers, insert it; returns the codes that were already there."""
    districts = sorted(set(areas["district_code"]))
    con.register("_geography_codes", pd.DataFrame({"code": areas["lsoa_code"].astype(object)}))
    try:
        marks = ", ".join("?" for _ in districts)
        existing = {r[0] for r in con.execute(
            f"SELECT lsoa_code FROM areas WHERE district_code IN ({marks}) "
            "OR lsoa_code IN (SELECT code FROM _geography_codes)", districts).fetchall()}
        con.execute(f"DELETE FROM area_boundaries WHERE area_level = 'lsoa' AND (area_code IN "
                    f"(SELECT lsoa_code FROM areas WHERE district_code IN ({marks})) "
                    "OR area_code IN (SELECT code FROM _geography_codes))", districts)
        con.execute(f"DELETE FROM area_boundaries WHERE area_level = 'district' AND area_code IN ({marks})",
                    districts)
        con.execute(f"DELETE FROM areas WHERE district_code IN ({marks}) "
                    "OR lsoa_code IN (SELECT code FROM _geography_codes)", districts)
    finally:
        con.unregister("_geography_codes")
    _insert(con, "areas", areas[_AREA_COLUMNS])
    _insert(con, "area_boundaries", _boundary_rows(
        "lsoa", list(lsoas["area_code"]), list(lsoas["area_name"]), list(lsoas.geometry)))
    names = areas.drop_duplicates("district_code").set_index("district_code")["district_name"]
    dissolved = [dissolve(group.geometry) for _, group in lsoas.groupby("district_code")]
    codes = sorted(lsoas["district_code"].unique())
    _insert(con, "area_boundaries", _boundary_rows("district", codes, [names[c] for c in codes], dissolved))
    _dissolve_counties(con, set(areas["county_code"]))
    return existing


def ingest_geography(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], *,
                     progress: Progress | None = None, county_lookup: Path | None = None) -> IngestReport:
    """Load LSOA boundaries and lookups: ``areas`` and ``area_boundaries`` for the study area."""
    progress = progress or NullProgress()
    files = list_files(paths, (".json", ".json.gz", ".geojson", ".geojson.gz", ".csv", ".csv.gz"))
    report = IngestReport(source="geography")
    counties = county_table(county_lookup)
    progress.start(len(files) + 1, "geography")
    opened = [open_report(con, path, "geography", GEOGRAPHY_KINDS) for path in files]
    if opened and county_lookup is None and all(raw is None for _, raw in opened):
        for file_report, _ in opened:
            close_report(con, file_report, [], command_id=report.command_id)
            report.files.append(file_report)
        return report
    lookups = Lookups()
    boundaries: list[tuple[FileReport, BoundaryFile]] = []
    lookup_reports: list[tuple[FileReport, list[Reject]]] = []
    for path, (file_report, raw) in zip(files, opened, strict=True):
        data = raw if raw is not None else path.read_bytes()
        file_report.status = "loaded"
        file_report.warnings.clear()
        if ".json" in path.name.lower() or ".geojson" in path.name.lower():
            boundary = read_boundaries(path, data)
            file_report.kind = "lsoa_boundaries"
            file_report.rows_read = len(boundary.features)
            boundaries.append((file_report, boundary))
        else:
            kind, rows_read, rejects = read_lookup(path, lookups, data)
            file_report.kind, file_report.rows_read = kind, rows_read
            lookup_reports.append((file_report, rejects))
        progress.advance(path.name)
    if not boundaries:
        raise InputError("No LSOA boundary files given: the boundaries define the study area.",
                         found=", ".join(str(p) for p in paths), hint=BOUNDARY_HINT)
    areas, notes = build_areas([b for _, b in boundaries], lookups, counties)
    repeated = sum(len(b.features) for _, b in boundaries) - int((areas["lsoa_vintage"] == 2011).sum())
    if repeated:
        notes.append(f"{repeated} LSOA(s) appear in more than one boundary file: the last one given is used.")
    lsoas = _lsoa_polygons([b for _, b in boundaries], areas)
    existing = _replace(con, areas, lsoas)
    progress.advance("district and county boundaries")
    for file_report, boundary in boundaries:
        codes = [f.code for f in boundary.features]
        file_report.rows_loaded = len(codes)
        file_report.rows_replaced = sum(c in existing for c in codes)
        close_report(con, file_report, [], command_id=report.command_id)
        report.files.append(file_report)
    study = set(areas.loc[areas["lsoa_vintage"] == 2011, "lsoa_code"])
    new21 = areas.loc[areas["lsoa_vintage"] == 2021, "lsoa_code"]
    replaced21: int | None = sum(c in existing for c in new21)
    for file_report, rejects in lookup_reports:
        if file_report.kind == "lsoa_population_lookup":
            file_report.rows_loaded = sum(len(lookups.links.get(c, [])) for c in study)
        elif file_report.kind == "lsoa_best_fit_lookup":
            file_report.rows_loaded = sum(c in lookups.best_fit for c in study)
        else:
            file_report.rows_loaded = sum(c in lookups.oa_lad for c in study)
        if file_report.kind != "oa_lookup" and replaced21 is not None:
            file_report.rows_replaced, replaced21 = replaced21, None  # counted once, on the first lookup
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
    if report.files:
        report.files[0].warnings.extend(notes)
    stale = existing - set(areas["lsoa_code"])
    if stale:
        report.files[0].warnings.append(f"{len(stale)} area code(s) of these districts are no longer in the "
                                        "files given and were removed.")
    return report
