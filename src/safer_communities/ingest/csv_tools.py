"""Reading the reference CSVs as published: gzip or not, BOM or not, CRLF, quotes, thousands separators.

Each reader recognises a file by its header, keeps the physical line number of every row (header is
line 1) so a rejected row can be found in the original file, and refuses a file it cannot read at all
with an ``InputError`` naming it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from safer_communities.errors import InputError
from safer_communities.ingest.common import (
    FileReport,
    record_ingest,
    record_rejects,
    sha256_of,
)

GZIP_MAGIC = b"\x1f\x8b"
_INT = re.compile(r"^[+-]?\d+$")
_INT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
DISTRICT_CODE = re.compile(r"^[EWSN]0[6-9]\d{6}$")

Reject = tuple[int | None, str | None, str, str | None]  # line, field, reason, raw line


def list_files(paths: Sequence[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files given directly, plus files under given folders whose names end with ``suffixes``.

    Folders are walked in sorted order so a load is repeatable; hidden files and README files are
    skipped there (files named directly are always read).
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                name = child.name.lower()
                if name.startswith(".") or name.startswith("readme"):
                    continue
                if name.endswith(suffixes):
                    found.append(child)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError("The path to load does not exist.", found=str(path),
                             hint="Check the spelling, or give the folder that holds the files.")
    return found


def read_bytes(path: Path, data: bytes | None = None) -> bytes:
    """The file's bytes, decompressed when it is gzip (recognised by its magic number, not its name)."""
    if data is None:
        data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError("The file is gzip-compressed but cannot be decompressed (truncated?).",
                             found=f"{path.name}: {exc}",
                             hint="Download the file again, or give the uncompressed CSV.") from exc
    return data


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 text without its BOM; a file that is not text is refused whole."""
    if b"\x00" in data[:65536]:
        raise InputError("The file is not a text file.", found=f"{path.name}: contains NUL bytes",
                         hint="Give the CSV itself (or its .gz), not a spreadsheet or another format.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("The file is not UTF-8 text.", found=f"{path.name}: line {line}, byte {exc.start}",
                         hint="Save the file as UTF-8 CSV (Excel: 'CSV UTF-8').") from exc


def normalise_header(name: str) -> str:
    """Lower case, no BOM or surrounding spaces: the form column names are matched in."""
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


@dataclass
class CsvRow:
    """One data row with the physical line it starts on and its raw text (for ``rejects``)."""

    line: int
    fields: list[str]
    raw: str


@dataclass
class CsvFile:
    """A parsed CSV: header, well-formed rows, and rows refused for their shape."""

    path: Path
    header: list[str]
    rows: list[CsvRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def columns(self) -> dict[str, int]:
        """Normalised column name -> position (the first occurrence wins)."""
        index: dict[str, int] = {}
        for position, name in enumerate(self.header):
            index.setdefault(normalise_header(name), position)
        return index

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.rejects)


class _LineTap:
    """Feeds lines to ``csv.reader`` and remembers them, so each row keeps its raw text and first line."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.taken: list[str] = []
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        self.count += 1
        return line


def read_csv(path: Path, text: str | None = None) -> CsvFile:
    """Parse a whole CSV; rows with the wrong number of fields are rejected, blank lines skipped."""
    if text is None:
        text = decode_text(read_bytes(path), path)
    tap = _LineTap(io.StringIO(text, newline=""))
    reader = csv.reader(tap)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError("The file's header cannot be read as CSV.", found=f"{path.name}: {exc}",
                         hint="Check that the file is a comma-separated text file.") from exc
    if not header or not any(h.strip() for h in header):
        raise InputError("The file is empty or has no header row.", found=path.name,
                         hint="Give the file as downloaded, with its header line.")
    result = CsvFile(path=path, header=[h.strip() for h in header])
    width = len(header)
    tap.taken.clear()
    while True:
        start = tap.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError("The file cannot be parsed as CSV.",
                             found=f"{path.name}: line {start}: {exc}",
                             hint="Check the quoting on that line; nothing from this file loaded.") from exc
        raw = "".join(tap.taken).rstrip("\r\n")
        tap.taken.clear()
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line (an empty trailing line is normal)
        if len(fields) != width:
            result.rejects.append((start, None, f"expected {width} fields, found {len(fields)}", raw))
            continue
        result.rows.append(CsvRow(line=start, fields=fields, raw=raw))
    return result


def require_columns(table: CsvFile, wanted: dict[str, tuple[str, ...]], layout: str,
                    hint: str) -> dict[str, int]:
    """Position of each wanted field (first alias present); refuse the file if one is missing."""
    columns = table.columns
    found: dict[str, int] = {}
    missing: list[str] = []
    for key, aliases in wanted.items():
        position = next((columns[a] for a in aliases if a in columns), None)
        if position is None:
            missing.append(aliases[0])
        else:
            found[key] = position
    if missing:
        raise InputError(
            f"{table.path.name} is not a {layout} file: required column(s) missing.",
            found=f"missing {missing}; columns {table.header[:12]}",
            hint=hint,
        )
    return found


def parse_int(value: str) -> int:
    """An integer as published: '1944', '"1,944"' (quotes already removed by the CSV reader), '+3'."""
    text = value.strip()
    if _INT.match(text):
        return int(text)
    if _INT_THOUSANDS.match(text):
        return int(text.replace(",", ""))
    raise ValueError(f"not a whole number: {value!r}")


def parse_float(value: str) -> float:
    """A decimal number; thousands separators are not expected in coordinates."""
    text = value.strip()
    if not _FLOAT.match(text):
        raise ValueError(f"not a number: {value!r}")
    return float(text)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """One value, fetched fully: DuckDB 2 refuses other work on a connection with a half-read result."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def open_report(con: duckdb.DuckDBPyConnection, path: Path, kind: str,
                kinds: tuple[str, ...] | None = None) -> tuple[FileReport, bytes | None]:
    """Hash a file and start its report; ``None`` bytes when identical bytes are already loaded.

    ``kinds`` lists the ingest kinds that count as "the same file" (default: ``kind`` alone).
    """
    raw = path.read_bytes()
    report = FileReport(path=str(path), kind=kind, sha256=sha256_of(raw))
    kinds = kinds or (kind,)
    marks = ", ".join("?" for _ in kinds)
    sql = f"SELECT count(*) FROM ingests WHERE sha256 = ? AND kind IN ({marks}) AND status = 'loaded'"
    if scalar(con, sql, [report.sha256, *kinds]):
        report.status = "unchanged"
        report.warnings.append(f"{path.name}: identical file already loaded; skipped.")
        return report, None
    report.ingest_id = int(scalar(con, "SELECT nextval('ingest_id_seq')"))
    return report, raw


def close_report(con: duckdb.DuckDBPyConnection, report: FileReport, rejects: list[Reject],
                 *, command_id: str) -> None:
    """Write the file's provenance row and its rejected rows (same transaction as its data)."""
    report.rows_rejected = len(rejects)
    if report.ingest_id is None:
        report.ingest_id = int(scalar(con, "SELECT nextval('ingest_id_seq')"))
    record_ingest(con, report, command_id=command_id)
    assert report.ingest_id is not None
    record_rejects(con, report.ingest_id, report.path, rejects)
