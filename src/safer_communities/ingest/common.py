"""What every ingester shares: the per-file and per-command reports, provenance, hashing, progress."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from safer_communities import __version__
from safer_communities.store.evidence import next_ingest_id, scalar


class Progress(Protocol):
    """What an ingester tells its caller while it works (the CLI draws a Rich progress bar)."""

    def start(self, total: int, description: str) -> None: ...

    def advance(self, description: str) -> None: ...


class NullProgress:
    """Progress for callers that do not show any (tests, the library used from Python)."""

    def start(self, total: int, description: str) -> None:
        return None

    def advance(self, description: str) -> None:
        return None


@dataclass
class FileReport:
    """What happened to one file; also one row of the ``ingests`` table."""

    path: str
    kind: str
    sha256: str
    force: str | None = None
    month: date | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    status: str = "loaded"  # loaded | unchanged
    warnings: list[str] = field(default_factory=list)
    ingest_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["month"] = self.month.strftime("%Y-%m") if self.month else None
        return data


@dataclass
class IngestReport:
    """The summary of one ingest command (``--json`` prints ``to_dict()``)."""

    source: str
    command_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    files: list[FileReport] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_replaced(self) -> int:
        return sum(f.rows_replaced for f in self.files)

    @property
    def warnings(self) -> list[str]:
        return [w for f in self.files for w in f.warnings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "command_id": self.command_id,
            "files": [f.to_dict() for f in self.files],
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_replaced": self.rows_replaced,
        }


def sha256_of(data: bytes | Path) -> str:
    """Hash of a file's bytes (provenance, and spotting an identical file loaded twice)."""
    digest = hashlib.sha256()
    if isinstance(data, Path):
        with data.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    else:
        digest.update(data)
    return digest.hexdigest()


def new_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    """Provenance id to stamp on every row loaded from one file."""
    return next_ingest_id(con)


def record_ingest(
    con: duckdb.DuckDBPyConnection, report: FileReport, *, command_id: str
) -> None:
    """Write one file's provenance row (same transaction as its data)."""
    if report.ingest_id is None:
        report.ingest_id = new_ingest_id(con)
    record_ingests(con, [report], command_id=command_id)


def record_ingests(con: duckdb.DuckDBPyConnection, reports: list[FileReport], *, command_id: str) -> None:
    """``record_ingest`` for many files at once (each already has its ingest id), in one statement:
    a batch of 256 police.uk files would otherwise cost 256 round trips."""
    if not reports:
        return
    now = datetime.now()
    columns = list(zip(*[
        (r.ingest_id, command_id, r.path, r.sha256, r.kind, r.force, r.month, r.rows_read, r.rows_loaded,
         r.rows_rejected, r.rows_replaced, r.status, now, __version__) for r in reports], strict=True))
    types = ("BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "DATE", "BIGINT", "BIGINT",
             "BIGINT", "BIGINT", "VARCHAR", "TIMESTAMP", "VARCHAR")
    con.execute("INSERT INTO ingests SELECT " + ", ".join(f"unnest(?::{t}[])" for t in types),
                [list(c) for c in columns])


def record_rejects(
    con: duckdb.DuckDBPyConnection,
    ingest_id: int,
    source_file: str,
    rows: Iterable[tuple[int | None, str | None, str, str | None]],
) -> int:
    """Store rejected rows as (line_number, field, reason, raw_line); returns how many."""
    batch = [(ingest_id, source_file, line, fld, reason, raw) for line, fld, reason, raw in rows]
    if batch:
        con.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)", batch)
    return len(batch)


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str, kind: str) -> bool:
    """True when a file with these exact bytes is already in the store for this kind."""
    found = scalar(
        con,
        "SELECT count(*) FROM ingests WHERE sha256 = ? AND kind = ? AND status = 'loaded'",
        [sha256, kind],
    )
    return bool(found)


IngestFunction = Callable[..., IngestReport]
