"""DfT STATS19 road collisions (the collision table of the road safety open data).

Recognised by its columns, in the layout DfT has published since 2019 (``accident_*``) and in the
2024 renaming (``collision_*``). Notes on the published coding that matter here:

* ``local_authority_district`` is retired (always -1): the district is ``local_authority_ons_district``.
* -1 means "missing" for every code column: stored as NULL, never as a code.
* Dates are DD/MM/YYYY (ISO dates are accepted too); severity 1 fatal, 2 serious, 3 slight.
* A row whose date, severity or index cannot be used goes to ``rejects`` with its line and field.

Replacement is per collision index: a collision loaded again (a later release) replaces the earlier row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.errors import InputError
from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.ingest.csv_tools import (
    LSOA_CODE,
    Reject,
    close_report,
    decode_text,
    list_files,
    open_report,
    parse_float,
    parse_int,
    read_bytes,
    read_csv,
    require_columns,
    scalar,
)

KIND = "stats19"
_HINT = ("Give the DfT road safety 'collision' CSV (dft-road-casualty-statistics-collision-YYYY.csv); "
         "casualty and vehicle files are not loaded here. See docs/data-sources.md.")
REQUIRED = {
    "accident_index": ("accident_index", "collision_index"),
    "date": ("date",),
    "accident_severity": ("accident_severity", "collision_severity"),
}
OPTIONAL = {
    "accident_year": ("accident_year", "collision_year"),
    "accident_reference": ("accident_reference", "collision_reference"),
    "time": ("time",),
    "day_of_week": ("day_of_week",),
    "easting": ("location_easting_osgr",),
    "northing": ("location_northing_osgr",),
    "longitude": ("longitude",),
    "latitude": ("latitude",),
    "police_force": ("police_force",),
    "number_of_vehicles": ("number_of_vehicles",),
    "number_of_casualties": ("number_of_casualties",),
    "local_authority_ons_district": ("local_authority_ons_district",),
    "local_authority_highway": ("local_authority_highway",),
    "first_road_class": ("first_road_class",),
    "road_type": ("road_type",),
    "speed_limit": ("speed_limit",),
    "light_conditions": ("light_conditions",),
    "weather_conditions": ("weather_conditions",),
    "road_surface_conditions": ("road_surface_conditions",),
    "urban_or_rural_area": ("urban_or_rural_area",),
    "lsoa_code": ("lsoa_of_accident_location", "lsoa_of_collision_location"),
}
CODE_COLUMNS = ("day_of_week", "police_force", "number_of_vehicles", "number_of_casualties",
                "first_road_class", "road_type", "speed_limit", "light_conditions", "weather_conditions",
                "road_surface_conditions", "urban_or_rural_area")
TEXT_CODE_COLUMNS = ("accident_reference", "local_authority_ons_district", "local_authority_highway")
COLUMNS = ["accident_index", "accident_year", "accident_reference", "date", "time", "hour", "day_of_week",
           "easting", "northing", "longitude", "latitude", "police_force", "accident_severity",
           "number_of_vehicles", "number_of_casualties", "local_authority_ons_district",
           "local_authority_highway", "first_road_class", "road_type", "speed_limit", "light_conditions",
           "weather_conditions", "road_surface_conditions", "urban_or_rural_area", "lsoa_code"]
_MISSING = {"", "-1", "null", "na", "n/a"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
_BNG = {"easting": (0.0, 700000.0), "northing": (0.0, 1300000.0),
        "longitude": (-9.0, 2.5), "latitude": (49.0, 61.5)}


class _RowProblem(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_date(text: str) -> date:
    """DD/MM/YYYY as DfT publishes it, or ISO YYYY-MM-DD."""
    value = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date (DD/MM/YYYY): {text!r}")


def _parse_row(fields: list[str], pos: dict[str, int], header: list[str]) -> list[object]:
    """One collision as the store's columns; raises _RowProblem naming the field at fault."""
    def get(key: str) -> str | None:
        if key not in pos:
            return None
        text = fields[pos[key]].strip()
        return None if text.lower() in _MISSING else text

    def fail(key: str, reason: str) -> _RowProblem:
        return _RowProblem(header[pos[key]], reason)

    index = get("accident_index")
    if index is None:
        raise fail("accident_index", "collision index is blank")
    try:
        when = parse_date(fields[pos["date"]])
    except ValueError as exc:
        raise fail("date", str(exc)) from None
    severity_text = fields[pos["accident_severity"]].strip()
    if severity_text not in {"1", "2", "3"}:
        raise fail("accident_severity", f"severity must be 1, 2 or 3: {severity_text!r}")
    year_text = get("accident_year")
    try:
        year = parse_int(year_text) if year_text else when.year
    except ValueError as exc:
        raise fail("accident_year", str(exc)) from None
    if year != when.year:
        raise fail("accident_year", f"year {year} does not match the date {when.isoformat()}")
    time_text = get("time")
    hour = None
    if time_text is not None:
        match = _TIME.match(time_text)
        if not match:
            raise fail("time", f"not a time (HH:MM): {time_text!r}")
        hour = int(match.group(1))
    values: dict[str, object] = {"accident_index": index, "accident_year": year, "date": when,
                                 "time": time_text, "hour": hour, "accident_severity": int(severity_text)}
    for key in CODE_COLUMNS:
        text = get(key)
        try:
            values[key] = parse_int(text) if text is not None else None
        except ValueError as exc:
            raise fail(key, str(exc)) from None
    for key in TEXT_CODE_COLUMNS:
        values[key] = get(key)
    for key, (low, high) in _BNG.items():
        text = get(key)
        try:
            number = parse_float(text) if text is not None else None
        except ValueError as exc:
            raise fail(key, str(exc)) from None
        if number is not None and not low <= number <= high:
            raise fail(key, f"{number} is outside Great Britain ({low}..{high})")
        values[key] = number
    lsoa = get("lsoa_code")
    if lsoa is not None and not LSOA_CODE.match(lsoa):
        raise fail("lsoa_code", f"not an LSOA code: {lsoa!r}")
    values["lsoa_code"] = lsoa
    return [values.get(c) for c in COLUMNS]


def read_stats19(path: Path, data: bytes | None = None) -> tuple[pd.DataFrame, list[Reject]]:
    """Parse one STATS19 collision file into store rows and rejects (line, field, reason, raw)."""
    table = read_csv(path, decode_text(read_bytes(path, data), path))
    pos = require_columns(table, REQUIRED, "STATS19 collision", _HINT)
    columns = table.columns
    for key, aliases in OPTIONAL.items():
        position = next((columns[a] for a in aliases if a in columns), None)
        if position is not None:
            pos[key] = position
    rejects: list[Reject] = list(table.rejects)
    seen: dict[str, int] = {}
    records: list[list[object]] = []
    for row in table.rows:
        try:
            values = _parse_row(row.fields, pos, table.header)
        except _RowProblem as problem:
            rejects.append((row.line, problem.field, problem.reason, row.raw))
            continue
        index = str(values[0])
        if index in seen:
            rejects.append((row.line, table.header[pos["accident_index"]],
                            f"duplicate of line {seen[index]} ({index})", row.raw))
            continue
        seen[index] = row.line
        records.append(values)
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame = frame.astype({"accident_index": "object", "date": "datetime64[s]",
                          **dict.fromkeys(["easting", "northing", "longitude", "latitude"], "float64"),
                          **dict.fromkeys(["hour", "accident_severity", "accident_year", *CODE_COLUMNS],
                                          "Int64"),
                          **dict.fromkeys(["time", "lsoa_code", *TEXT_CODE_COLUMNS], "object")})
    return frame, rejects


def ingest_stats19(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], *,
                   progress: Progress | None = None) -> IngestReport:
    """Load STATS19 collision files into ``collisions``, replacing collisions already loaded by index."""
    progress = progress or NullProgress()
    files = list_files(paths, (".csv", ".csv.gz"))
    if not files:
        raise InputError("No STATS19 files found.", found=", ".join(str(p) for p in paths), hint=_HINT)
    report = IngestReport(source=KIND)
    progress.start(len(files), "stats19")
    for path in files:
        file_report, raw = open_report(con, path, KIND)
        rejects: list[Reject] = []
        if raw is not None:
            frame, rejects = read_stats19(path, raw)
            frame["source_file"] = str(path)
            frame["ingest_id"] = file_report.ingest_id
            file_report.rows_read = len(frame) + len(rejects)
            con.register("_collisions_new", frame)
            try:
                file_report.rows_replaced = int(scalar(
                    con, "SELECT count(*) FROM collisions c JOIN _collisions_new n USING (accident_index)"))
                con.execute("DELETE FROM collisions c USING _collisions_new n "
                            "WHERE c.accident_index = n.accident_index")
                cols = ", ".join([*COLUMNS, "source_file", "ingest_id"])
                con.execute(f"INSERT INTO collisions ({cols}) SELECT {cols} FROM _collisions_new")
            finally:
                con.unregister("_collisions_new")
            file_report.rows_loaded = len(frame)
            if not frame.empty:
                years = sorted({int(y) for y in frame["accident_year"].dropna()})
                if len(years) > 1:
                    file_report.warnings.append(f"{path.name}: collisions from several years {years}.")
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
        progress.advance(path.name)
    return report
