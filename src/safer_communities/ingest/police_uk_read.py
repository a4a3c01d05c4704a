"""Reading police.uk CSV files: which kind a file is (by its columns), its force and month, and an
exact, line-numbered Python reader for files the fast DuckDB path cannot take whole.

Nothing here touches the store: ``police_uk.py`` decides what to load.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from safer_communities.errors import InputError

HINT = ("Download street, outcomes or stop-and-search CSV files from https://data.police.uk/data/ "
        "(the archive zip, its YYYY-MM folders, or single files); see docs/ingest-police-uk.md.")

# Published header -> store column, per kind. Required columns must be present; the rest may be
# missing (older or trimmed files) and are then NULL.
_LOCATED = {
    "Crime ID": "crime_id", "Month": "month", "Reported by": "reported_by",
    "Falls within": "falls_within", "Longitude": "longitude", "Latitude": "latitude",
    "Location": "location", "LSOA code": "lsoa_code", "LSOA name": "lsoa_name",
}
COLUMNS: dict[str, dict[str, str]] = {
    "street": {**_LOCATED, "Crime type": "crime_type",
               "Last outcome category": "last_outcome_category", "Context": "context"},
    "outcomes": {**_LOCATED, "Outcome type": "outcome_type"},
    "stop_search": {
        "Type": "type", "Date": "date", "Part of a policing operation": "part_of_policing_operation",
        "Policing operation": "policing_operation", "Latitude": "latitude", "Longitude": "longitude",
        "Gender": "gender", "Age range": "age_range", "Self-defined ethnicity": "self_defined_ethnicity",
        "Officer-defined ethnicity": "officer_defined_ethnicity", "Legislation": "legislation",
        "Object of search": "object_of_search", "Outcome": "outcome",
        "Outcome linked to object of search": "outcome_linked_to_object_of_search",
        "Removal of more than just outer clothing": "removal_of_more_than_outer_clothing",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "street": ("Month", "Longitude", "Latitude", "Crime type"),
    "outcomes": ("Crime ID", "Month", "Longitude", "Latitude", "Outcome type"),
    "stop_search": ("Type", "Date", "Latitude", "Longitude"),
}
# The one column that tells the kinds apart (all three can share Longitude/Latitude).
_MARKERS = {"street": "Crime type", "outcomes": "Outcome type", "stop_search": "Object of search"}
NAME_KINDS = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}

_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9][a-z0-9-]*?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(\.gz)?$", re.IGNORECASE)
_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")
_IRREGULAR_FORCES = {
    "metropolitan police service": "metropolitan", "police service of northern ireland": "northern-ireland",
    "british transport police": "btp",
}


@dataclass
class Header:
    """What the first line of a file says: its kind and where each store column is."""

    kind: str
    names: list[str]                       # as published, in file order
    positions: dict[str, int]              # store column -> 0-based field position
    compressed: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class PoliceCsv:
    """A police.uk file read exactly: valid-shaped records as text plus structural rejects.

    ``table`` has one VARCHAR column per store column of the kind (NULL when the file lacks it),
    plus ``line_number`` (physical line where the record starts, header = 1) and ``raw_line``.
    ``rejects`` are (line_number, field, reason, raw_line) for records that could not be split into
    the header's fields (wrong number of fields, not UTF-8). rows_read = table rows + rejects.
    """

    path: Path
    header: Header
    table: pa.Table
    rejects: list[tuple[int, str | None, str, str | None]]

    @property
    def kind(self) -> str:
        return self.header.kind

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.rejects)


def name_parts(name: str, parent: str | None = None) -> tuple[date | None, str | None, str | None]:
    """(month, force slug, kind) from a police.uk file name, month falling back to a YYYY-MM folder."""
    match = _NAME.match(name)
    if match:
        year, month = match["month"].split("-")
        if 1 <= int(month) <= 12:
            return date(int(year), int(month), 1), match["force"].lower(), NAME_KINDS[match["kind"].lower()]
    prefix = re.match(r"^(\d{4})-(\d{2})(?:-|\.|$)", name)
    for candidate in ([prefix.group(0).rstrip("-.")] if prefix else []) + ([parent] if parent else []):
        if candidate and _MONTH_DIR.match(candidate) and 1 <= int(candidate[5:]) <= 12:
            return date(int(candidate[:4]), int(candidate[5:]), 1), None, None
    return None, None, None


def force_slug(text: str) -> str:
    """police.uk's force slug from a force's name ('Lancashire Constabulary' -> 'lancashire')."""
    lowered = " ".join(text.lower().split())
    if lowered in _IRREGULAR_FORCES:
        return _IRREGULAR_FORCES[lowered]
    lowered = re.sub(r"\b(constabulary|police service|police)\b", " ", lowered.replace("&", " and "))
    return re.sub(r"[^a-z0-9]+", "-", lowered).strip("-")


def _open_text_head(path: Path, size: int = 1 << 16) -> tuple[bytes, bool]:
    with path.open("rb") as handle:
        magic = handle.read(2)
    compressed = magic == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if compressed else path.open("rb")) as handle:
            return handle.read(size), compressed
    except (OSError, EOFError) as exc:
        raise InputError("The file could not be read.", found=f"{path.name}: {exc}", hint=HINT) from exc


def read_header(path: Path) -> Header:
    """Read the first line, refuse what is not a police.uk file, and say which kind it is."""
    head, compressed = _open_text_head(path)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise InputError("The file is empty.", found=path.name, hint=HINT)
    if b"\x00" in head[:8192]:
        raise InputError("The file is not a text (CSV) file.", found=f"{path.name}: binary content",
                         hint=HINT)
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("The file's first line is not UTF-8 text.", found=f"{path.name}: {exc}",
                         hint=HINT) from exc
    names = [n.strip() for n in next(csv.reader([text]), [])]
    return _classify(path, names, compressed)


def _classify(path: Path, names: list[str], compressed: bool) -> Header:
    lowered = {n.lower(): i for i, n in reversed(list(enumerate(names)))}
    kind = next((k for k, marker in _MARKERS.items() if marker.lower() in lowered), None)
    if kind is None:
        # Name the columns missing for the kind this file looks most like.
        kind_guess = max(COLUMNS, key=lambda k: sum(c.lower() in lowered for c in COLUMNS[k]))
        missing = [c for c in (*REQUIRED[kind_guess], _MARKERS[kind_guess]) if c.lower() not in lowered]
        raise InputError(
            f"Not a police.uk file: no {', '.join(repr(m) for m in dict.fromkeys(missing))} column.",
            found=f"{path.name}: columns {names[:20]}", hint=HINT)
    missing = [c for c in REQUIRED[kind] if c.lower() not in lowered]
    if missing:
        raise InputError(
            f"police.uk {kind.replace('_', '-')} file has no {', '.join(repr(m) for m in missing)} column.",
            found=f"{path.name}: columns {names[:20]}", hint=HINT)
    positions = {col: lowered[name.lower()] for name, col in COLUMNS[kind].items() if name.lower() in lowered}
    header = Header(kind=kind, names=names, positions=positions, compressed=compressed)
    extra = [n for n in names if n.lower() not in {c.lower() for c in COLUMNS[kind]}]
    if extra:
        header.warnings.append(f"{path.name}: columns not used: {extra}")
    return header


def _decode(path: Path, compressed: bool) -> str:
    try:
        data = gzip.decompress(path.read_bytes()) if compressed else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError("The compressed file could not be read.", found=f"{path.name}: {exc}",
                         hint="Check the download is complete; re-download it.") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _clean(text: str) -> str:
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def read_police_csv(path: Path, header: Header | None = None) -> PoliceCsv:
    """Read a police.uk CSV in Python with exact physical line numbers (the slow, exact path).

    Raises ``InputError`` for a file that is not a police.uk file at all. Records with the wrong
    number of fields or invalid UTF-8 come back as rejects; every other record comes back as text
    (values are checked in SQL by the ingest, the same way as on the fast path).
    """
    header = header or read_header(path)
    text = _decode(path, header.compressed)
    lines = io.StringIO(text, newline="").readlines()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(lines)
    width = len(header.names)
    columns = list(COLUMNS[header.kind].values())
    data: dict[str, list[str | None]] = {c: [] for c in columns}
    numbers: list[int] = []
    raws: list[str] = []
    rejects: list[tuple[int, str | None, str, str | None]] = []
    start = 1
    try:
        next(reader, None)  # header
        start = reader.line_num + 1
        for record in reader:
            raw = "".join(lines[start - 1:reader.line_num]).rstrip("\r\n")
            line, start = start, reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                continue  # blank line (e.g. the empty trailing line)
            if _has_surrogates(raw):
                rejects.append((line, None, "not valid UTF-8 text", _clean(raw)))
            elif len(record) != width:
                rejects.append((line, None, f"wrong number of fields: expected {width}, found "
                                f"{len(record)}", raw))
            else:
                for col in columns:
                    pos = header.positions.get(col)
                    data[col].append(record[pos] if pos is not None else None)
                numbers.append(line)
                raws.append(raw)
    except csv.Error as exc:
        raise InputError("The file could not be read as CSV.", found=f"{path.name}, line {start}: {exc}",
                         hint=HINT) from exc
    arrays = {c: pa.array(v, type=pa.string()) for c, v in data.items()}
    arrays["line_number"] = pa.array(numbers, type=pa.int64())
    arrays["raw_line"] = pa.array(raws, type=pa.string())
    return PoliceCsv(path=path, header=header, table=pa.table(arrays), rejects=rejects)
