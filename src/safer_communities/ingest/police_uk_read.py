"""Reading police.uk CSV files: which kind a file is (by its columns), its force and month, and an
exact, line-numbered Python reader for files the fast DuckDB path cannot take whole.

Nothing here touches the store: ``police_uk.py`` decides what to load.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from safer_communities.errors import InputError
from safer_communities.ingest.limits import DEFAULT_LIMITS, Limits, check_growth

if TYPE_CHECKING:  # imported where used: only the exact reader needs pyarrow (0.2 CPU-s to import)
    import pyarrow as pa

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
# Every column police.uk publishes for street and outcomes files, except Context (always empty):
# a file without one of them would load with that column NULL on every row (no LSOA code: no row
# counted in any area), so it is refused. Stop-and-search files vary more between forces and years.
REQUIRED: dict[str, tuple[str, ...]] = {
    "street": tuple(n for n in COLUMNS["street"] if n != "Context"),
    "outcomes": tuple(COLUMNS["outcomes"]),
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
        raise InputError("The file could not be read (a corrupt or cut-short gzip file?).",
                         found=f"{path.name}: {exc}", hint=HINT) from exc


def read_header(path: Path, *, display: str | None = None) -> Header:
    """Read the first line, refuse what is not a police.uk file, and say which kind it is.

    ``display`` names the file in messages (a zip member's copy has a temporary name).
    """
    name = display or path.name
    head, compressed = _open_text_head(path)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(b"\xef\xbb\xbf"):
        raise InputError(
            "The file starts with two byte-order marks: it has been re-saved by a program that added "
            "a second one, and its first column would not be recognised.",
            found=f"{name}: the first line begins with the bytes EF BB BF twice", hint=(
                "Download the file again from https://data.police.uk/data/, or save it once more as "
                "'CSV UTF-8' (one byte-order mark) and load it again."))
    if not head.strip():
        raise InputError("The file is empty.", found=name, hint=HINT)
    if b"\x00" in head[:8192]:
        raise InputError("The file is not a text (CSV) file.", found=f"{name}: binary content",
                         hint=HINT)
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("The file's first line is not UTF-8 text.", found=f"{name}: {exc}",
                         hint=HINT) from exc
    names = [n.strip() for n in next(csv.reader([text]), [])]
    return _classify(name, names, compressed)


def _classify(name: str, names: list[str], compressed: bool) -> Header:
    lowered = {n.lower(): i for i, n in reversed(list(enumerate(names)))}
    kind = next((k for k, marker in _MARKERS.items() if marker.lower() in lowered), None)
    if kind is None:
        # Name the columns missing for the kind this file looks most like.
        kind_guess = max(COLUMNS, key=lambda k: sum(c.lower() in lowered for c in COLUMNS[k]))
        missing = [c for c in (*REQUIRED[kind_guess], _MARKERS[kind_guess]) if c.lower() not in lowered]
        raise InputError(
            f"Not a police.uk file: no {', '.join(repr(m) for m in dict.fromkeys(missing))} column.",
            found=f"{name}: columns {names[:20]}", hint=HINT)
    missing = [c for c in REQUIRED[kind] if c.lower() not in lowered]
    if missing:
        raise InputError(
            f"police.uk {kind.replace('_', '-')} file has no {', '.join(repr(m) for m in missing)} column.",
            found=f"{name}: columns {names[:20]}", hint=HINT)
    positions = {col: lowered[name.lower()] for name, col in COLUMNS[kind].items() if name.lower() in lowered}
    header = Header(kind=kind, names=names, positions=positions, compressed=compressed)
    extra = [n for n in names if n.lower() not in {c.lower() for c in COLUMNS[kind]}]
    if extra:
        header.warnings.append(f"{name}: columns not used: {extra}")
    return header


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _clean(text: str) -> str:
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


_BATCH_ROWS = 50_000  # records held in Python lists before they become one Arrow batch


class _Lines:
    """Physical lines of a text stream, one at a time, each at most ``max_line_bytes`` long.

    Bytes that are not UTF-8 come through as surrogates (so the line can be rejected, not the file);
    every line is remembered until the CSV reader has finished the record it belongs to.
    """

    def __init__(self, stream: io.TextIOBase, display: str, limits: Limits) -> None:
        self.stream, self.display, self.limits = stream, display, limits
        self.taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(self.limits.max_line_bytes + 1)
        if not line:
            raise StopIteration
        self.count += 1
        if self.count == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if len(line) > self.limits.max_line_bytes:
            raise InputError(
                f"Line {self.count:,} is longer than {self.limits.max_line_bytes:,} characters.",
                found=self.display,
                hint="police.uk lines are a few hundred characters; the file is damaged or not a "
                     "police.uk file. See docs/security-ingest.md.")
        if self.count > self.limits.max_lines:
            raise InputError(f"The file has more than {self.limits.max_lines:,} lines.",
                             found=self.display, hint="See docs/security-ingest.md.")
        self.taken.append(line)
        return line


def _open_stream(path: Path, header: Header, display: str, limits: Limits) -> io.TextIOWrapper:
    raw = path.open("rb")
    binary: BinaryIO = raw
    if header.compressed:
        binary = io.BufferedReader(_Capped(gzip.GzipFile(fileobj=raw, mode="rb"), raw, display, limits))
    return io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")


class _Capped(io.RawIOBase):
    """A gzip stream that stops with ``InputError`` once it has given more than the limits allow."""

    def __init__(self, src: gzip.GzipFile, raw: BinaryIO, display: str, limits: Limits) -> None:
        self.src, self.raw, self.display, self.limits, self.size = src, raw, display, limits, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.src.read(len(buffer))
        self.size += len(data)
        check_growth(self.display, self.size, self.raw.tell(), self.limits)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.src.close()
        self.raw.close()
        super().close()


def iter_police_csv(path: Path, header: Header, rejects: list[tuple[int, str | None, str, str | None]],
                    *, display: str | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Iterator[pa.RecordBatch]:
    """Stream a police.uk CSV as Arrow batches of valid-shaped records (text, line number, raw line).

    Memory stays bounded by the batch size and the line limit, whatever the file's size; structural
    rejects are appended to ``rejects`` as they are found (at most ``limits.max_rejects``).
    """
    display = display or path.name
    width = len(header.names)
    columns = list(COLUMNS[header.kind].values())
    schema = police_csv_schema(header)
    previous_limit = csv.field_size_limit(limits.max_line_bytes)
    start = 1
    try:
        with _open_stream(path, header, display, limits) as stream:
            lines = _Lines(stream, display, limits)
            reader = csv.reader(lines)
            next(reader, None)  # header
            data: dict[str, list[str | None]] = {c: [] for c in columns}
            numbers: list[int] = []
            raws: list[str] = []
            lines.taken.clear()
            while True:
                start = lines.count + 1
                record = next(reader, None)
                if record is None:
                    break
                raw = "".join(lines.taken).rstrip("\r\n")
                lines.taken.clear()
                if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                    continue  # blank line (e.g. the empty trailing line)
                if _has_surrogates(raw):
                    rejects.append((start, None, "not valid UTF-8 text", _clean(raw)))
                elif len(record) != width:
                    rejects.append((start, None, f"wrong number of fields: expected {width}, found "
                                    f"{len(record)}", raw))
                else:
                    for col in columns:
                        pos = header.positions.get(col)
                        data[col].append(record[pos] if pos is not None else None)
                    numbers.append(start)
                    raws.append(raw)
                if len(rejects) > limits.max_rejects:
                    raise InputError(f"More than {limits.max_rejects:,} rows of the file are rejected.",
                                     found=display, hint=HINT)
                if len(numbers) >= _BATCH_ROWS:
                    yield _batch(schema, data, numbers, raws)
                    data, numbers, raws = {c: [] for c in columns}, [], []
            if numbers:
                yield _batch(schema, data, numbers, raws)
    except csv.Error as exc:
        raise InputError("The file could not be read as CSV.", found=f"{display}, line {start}: {exc}",
                         hint="A quote that opens a field and never closes (a stray quote) makes the "
                              "rest of the file one field; check that line, or download the file "
                              "again.") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError("The compressed file is corrupt or cut short.", found=f"{display}: {exc}",
                         hint="Check the download is complete; re-download it.") from exc
    finally:
        csv.field_size_limit(previous_limit)


def _batch(schema: pa.Schema, data: dict[str, list[str | None]], numbers: list[int],
           raws: list[str]) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [pa.array(v, type=pa.string()) for v in data.values()]
    arrays += [pa.array(numbers, type=pa.int64()), pa.array(raws, type=pa.string())]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def police_csv_schema(header: Header) -> pa.Schema:
    """The columns ``iter_police_csv`` yields for a file of this header's kind."""
    import pyarrow as pa

    return pa.schema([*[(c, pa.string()) for c in COLUMNS[header.kind].values()],
                      ("line_number", pa.int64()), ("raw_line", pa.string())])


def read_police_csv(path: Path, header: Header | None = None, *,
                    limits: Limits = DEFAULT_LIMITS) -> PoliceCsv:
    """Read a police.uk CSV in Python with exact physical line numbers (the slow, exact path).

    Raises ``InputError`` for a file that is not a police.uk file at all, or one beyond ``limits``.
    Records with the wrong number of fields or invalid UTF-8 come back as rejects; every other
    record comes back as text (values are checked in SQL by the ingest, the same way as on the fast
    path). The whole file is held in memory: the ingest streams it (``iter_police_csv``) instead.
    """
    header = header or read_header(path)
    rejects: list[tuple[int, str | None, str, str | None]] = []
    batches = list(iter_police_csv(path, header, rejects, limits=limits))
    import pyarrow as pa

    table = pa.Table.from_batches(batches, schema=police_csv_schema(header))
    return PoliceCsv(path=path, header=header, table=table, rejects=rejects)
