"""ONS and MHCLG small-area population by LSOA 2011 and mid-year: the denominators of every rate.

Three published layouts are recognised by their columns:

* ONS small-area estimates in long form: ``Year, LSOA Code, Population`` (one row per LSOA and year);
* an ONS single-year extract: ``LSOA Code, Population`` (BOM, quoted "1,944"); the year is taken from
  the file name ("mid-2020", "2020") or, when the name has none, as mid-2020 (the release in this
  layout), and that choice is announced;
* the IoD2019 population denominators (File 6): total population mid-2015, excluding prisoners.

Keys are (area_code, year): a later load of the same LSOA and year replaces the earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.errors import InputError
from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.ingest.csv_tools import (
    LSOA_CODE,
    CsvFile,
    Reject,
    close_report,
    decode_text,
    list_files,
    open_report,
    parse_int,
    read_bytes,
    read_csv,
    require_columns,
    scalar,
)

KIND = "population"
DEFAULT_SINGLE_YEAR = 2020
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_HINT = ("Give ONS small-area population estimates (Year, LSOA Code, Population), an ONS mid-year "
         "extract (LSOA Code, Population) or the IoD2019 population denominators; see docs/data-sources.md.")
_IOD_TOTAL = "total population: mid 2015 (excluding prisoners)"


@dataclass(frozen=True)
class _Layout:
    label: str
    year: int | None  # None: the file has a Year column


def _recognise(table: CsvFile) -> tuple[_Layout, dict[str, int], list[str]]:
    """Which published layout this is, the positions of its fields, and announcements."""
    columns = table.columns
    if "year" in columns:
        wanted = {"area": ("lsoa code", "lsoa11cd", "lsoa code (2011)"), "year": ("year",),
                  "population": ("population",)}
        return (_Layout("ONS small-area population estimates", None),
                require_columns(table, wanted, "population", _HINT), [])
    if _IOD_TOTAL in columns:
        wanted = {"area": ("lsoa code (2011)",), "population": (_IOD_TOTAL,)}
        return (_Layout("IoD2019 population denominators (mid-2015, excluding prisoners)", 2015),
                require_columns(table, wanted, "population", _HINT), [])
    wanted = {"area": ("lsoa code", "lsoa11cd", "lsoa code (2011)"), "population": ("population",)}
    positions = require_columns(table, wanted, "population", _HINT)
    match = _YEAR_IN_NAME.search(table.path.name)
    if match:
        return _Layout("ONS mid-year population estimates", int(match.group(1))), positions, []
    note = (f"{table.path.name} has no Year column and no year in its name: taken as "
            f"mid-{DEFAULT_SINGLE_YEAR} "
            f"(the ONS release in this layout). Rename it, e.g. 'population-mid-2021.csv', if it is not.")
    return _Layout("ONS mid-year population estimates", DEFAULT_SINGLE_YEAR), positions, [note]


def read_population(path: Path, data: bytes | None = None) -> tuple[pd.DataFrame, list[Reject], list[str]]:
    """Parse one population file into (area_code, year, population, source) rows, rejects and warnings."""
    table = read_csv(path, decode_text(read_bytes(path, data), path))
    layout, pos, warnings = _recognise(table)
    source = f"{layout.label}: {path.name}"
    rejects: list[Reject] = list(table.rejects)
    seen: dict[tuple[str, int], int] = {}
    records: list[tuple[str, int, int]] = []
    for row in table.rows:
        code = row.fields[pos["area"]].strip()
        if not LSOA_CODE.match(code):
            rejects.append((row.line, table.header[pos["area"]], f"not an LSOA code: {code!r}", row.raw))
            continue
        year = layout.year
        if year is None:
            try:
                year = parse_int(row.fields[pos["year"]])
            except ValueError as exc:
                rejects.append((row.line, table.header[pos["year"]], str(exc), row.raw))
                continue
            if not 1981 <= year <= 2100:
                rejects.append((row.line, table.header[pos["year"]], f"year out of range: {year}", row.raw))
                continue
        try:
            population = parse_int(row.fields[pos["population"]])
        except ValueError as exc:
            rejects.append((row.line, table.header[pos["population"]], str(exc), row.raw))
            continue
        if population < 0:
            rejects.append((row.line, table.header[pos["population"]], f"negative population: {population}",
                            row.raw))
            continue
        if (code, year) in seen:
            reason = f"duplicate of line {seen[(code, year)]} ({code}, {year})"
            rejects.append((row.line, None, reason, row.raw))
            continue
        seen[(code, year)] = row.line
        records.append((code, year, population))
    frame = pd.DataFrame(records, columns=["area_code", "year", "population"]).astype(
        {"area_code": "object", "year": "int64", "population": "int64"})
    frame["source"] = source
    return frame, rejects, warnings


def ingest_population(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], *,
                      progress: Progress | None = None) -> IngestReport:
    """Load population files into ``population``; later loads replace the same (area_code, year)."""
    progress = progress or NullProgress()
    files = list_files(paths, (".csv", ".csv.gz"))
    if not files:
        raise InputError("No population files found.", found=", ".join(str(p) for p in paths), hint=_HINT)
    report = IngestReport(source=KIND)
    progress.start(len(files), "population")
    for path in files:
        file_report, raw = open_report(con, path, KIND)
        rejects: list[Reject] = []
        if raw is not None:
            frame, rejects, warnings = read_population(path, raw)
            file_report.warnings.extend(warnings)
            file_report.rows_read = len(frame) + len(rejects)
            con.register("_population_new", frame)
            try:
                file_report.rows_replaced = int(scalar(
                    con, "SELECT count(*) FROM population p JOIN _population_new n USING (area_code, year)"))
                con.execute("DELETE FROM population p USING _population_new n "
                            "WHERE p.area_code = n.area_code AND p.year = n.year")
                con.execute("INSERT INTO population SELECT area_code, year, population, source "
                            "FROM _population_new")
            finally:
                con.unregister("_population_new")
            file_report.rows_loaded = len(frame)
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
        progress.advance(path.name)
    return report
