"""English Indices of Deprivation 2019 by LSOA 2011: IMD rank and decile, and the seven domains.

File_1 (IMD only; BOM, quoted ranks such as "29,199") and File_2 (IMD and the seven domains) are
recognised by their columns. Each file updates only the columns it carries, so loading File_1 after
File_2 keeps the domains. Every row given is loaded, not only the study area's: analysts compare
against England (national deciles are the point of the index).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    normalise_header,
    open_report,
    parse_int,
    read_bytes,
    read_csv,
    require_columns,
)

KIND = "deprivation"
IMD_VERSION = "IMD2019"
ENGLAND_LSOAS_2011 = 32844
_HINT = ("Give File_1 (IMD) or File_2 (domains) of the English Indices of Deprivation 2019 as published "
         "by MHCLG; see docs/data-sources.md.")
# Store column prefix -> the published indicator name (columns are "<name> Rank|Decile", with or
# without "(where 1 is most deprived ...)").
INDICATORS = {
    "imd": "index of multiple deprivation (imd)",
    "income": "income",
    "employment": "employment",
    "education": "education, skills and training",
    "health": "health deprivation and disability",
    "crime": "crime",
    "barriers": "barriers to housing and services",
    "living_environment": "living environment",
}
_WHERE = re.compile(r"\s*\(where 1 is most deprived[^)]*\)\s*$")


def _measure_columns(header: list[str]) -> dict[str, int]:
    """Map 'imd_rank', 'crime_decile' ... to positions, ignoring the '(where 1 is ...)' suffixes."""
    names = {f"{name} {measure}": f"{prefix}_{measure}"
             for prefix, name in INDICATORS.items() for measure in ("rank", "decile")}
    found: dict[str, int] = {}
    for position, column in enumerate(header):
        key = names.get(_WHERE.sub("", normalise_header(column)))
        if key and key not in found:
            found[key] = position
    return found


def read_deprivation(path: Path, data: bytes | None = None) -> tuple[pd.DataFrame, list[Reject]]:
    """Parse one IoD2019 file: a frame with lsoa_code and the rank/decile columns it carries, and rejects."""
    table = read_csv(path, decode_text(read_bytes(path, data), path))
    code_pos = require_columns(table, {"lsoa": ("lsoa code (2011)", "lsoa11cd", "lsoa code")},
                               "deprivation", _HINT)["lsoa"]
    measures = _measure_columns(table.header)
    if "imd_rank" not in measures or "imd_decile" not in measures:
        raise InputError(f"{path.name} is not an Indices of Deprivation 2019 file: no IMD rank and decile.",
                         found=f"columns {table.header[:8]}", hint=_HINT)
    rejects: list[Reject] = list(table.rejects)
    seen: dict[str, int] = {}
    records: list[list[object]] = []
    for row in table.rows:
        code = row.fields[code_pos].strip()
        if not LSOA_CODE.match(code):
            rejects.append((row.line, table.header[code_pos], f"not an LSOA code: {code!r}", row.raw))
            continue
        values: list[object] = [code]
        problem: tuple[str, str] | None = None
        for key, position in measures.items():
            text = row.fields[position]
            try:
                value = parse_int(text)
            except ValueError as exc:
                problem = (table.header[position], str(exc))
                break
            upper = 10 if key.endswith("_decile") else ENGLAND_LSOAS_2011
            if not 1 <= value <= upper:
                problem = (table.header[position], f"{value} outside 1..{upper}")
                break
            values.append(value)
        if problem:
            rejects.append((row.line, problem[0], problem[1], row.raw))
            continue
        if code in seen:
            rejects.append((row.line, None, f"duplicate of line {seen[code]} ({code})", row.raw))
            continue
        seen[code] = row.line
        records.append(values)
    frame = pd.DataFrame(records, columns=["lsoa_code", *measures]).astype(
        {"lsoa_code": "object", **dict.fromkeys(measures, "int64")})
    return frame, rejects


def _upsert(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, loaded_now: set[str]) -> int:
    """Update the columns this file carries for LSOAs already loaded, insert the rest.

    Returns how many rows the store held before this command that the file replaced: File_1 and
    File_2 loaded together complete the same rows (File_2 adds the domains), which is not a replacement.
    """
    measures = [c for c in frame.columns if c != "lsoa_code"]
    con.register("_deprivation_new", frame)
    try:
        existing = {code for (code,) in con.execute(
            "SELECT lsoa_code FROM deprivation d JOIN _deprivation_new n USING (lsoa_code)").fetchall()}
        replaced = len(existing - loaded_now)
        sets = ", ".join(f"{c} = n.{c}" for c in measures)
        con.execute(f"UPDATE deprivation d SET imd_version = '{IMD_VERSION}', {sets} "
                    "FROM _deprivation_new n WHERE d.lsoa_code = n.lsoa_code")
        cols = ", ".join(measures)
        con.execute(f"INSERT INTO deprivation (lsoa_code, imd_version, {cols}) "
                    f"SELECT lsoa_code, '{IMD_VERSION}', {cols} FROM _deprivation_new n "
                    "WHERE NOT EXISTS (SELECT 1 FROM deprivation d WHERE d.lsoa_code = n.lsoa_code)")
    finally:
        con.unregister("_deprivation_new")
    return replaced


def ingest_deprivation(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], *,
                       progress: Progress | None = None) -> IngestReport:
    """Load IoD2019 files into ``deprivation`` (all rows given, keyed by LSOA 2011 code)."""
    progress = progress or NullProgress()
    files = list_files(paths, (".csv", ".csv.gz"))
    if not files:
        raise InputError("No deprivation files found.", found=", ".join(str(p) for p in paths), hint=_HINT)
    report = IngestReport(source=KIND)
    loaded_now: set[str] = set()
    progress.start(len(files), "deprivation")
    for path in files:
        file_report, raw = open_report(con, path, KIND)
        rejects: list[Reject] = []
        if raw is not None:
            frame, rejects = read_deprivation(path, raw)
            file_report.rows_read = len(frame) + len(rejects)
            file_report.rows_replaced = _upsert(con, frame, loaded_now)
            loaded_now.update(frame["lsoa_code"])
            file_report.rows_loaded = len(frame)
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
        progress.advance(path.name)
    return report
