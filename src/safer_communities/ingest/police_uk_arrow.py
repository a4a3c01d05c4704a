"""The fast reader of the police.uk ingest: Arrow's multi-threaded CSV parser, each file read once.

A batch of files sharing one header layout becomes one Arrow table (every column text, plus the
file's path in ``filename``) that DuckDB scans in place, without a copy, both to check every row and
to insert the valid ones: the CSV text is parsed once, not once per scan. A file the parser cannot
take whole (a record with the wrong number of fields, a stray quote, bytes that are not UTF-8, a
line beyond the block size) is not guessed at: it is named in ``ArrowBatch.unread`` and the caller
reads it with the exact, line-numbered Python reader (``police_uk_read.iter_police_csv``).

Files are read two at a time (Arrow releases the GIL); a file above ``MAX_FILE_BYTES`` is left to
DuckDB's own streaming reader so that memory stays bounded whatever a single file holds.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from safer_communities.ingest.police_uk_read import Header

MAX_FILE_BYTES = 128 << 20  # larger files (police.uk's largest month is about 25 MB) stream via DuckDB
_READERS = 2


@dataclass
class ArrowBatch:
    """What the Arrow reader made of a batch of files."""

    table: pa.Table | None                                 # columns c0..cN (text) and filename
    rows: dict[str, int] = field(default_factory=dict)     # path -> records parsed
    unread: set[str] = field(default_factory=set)          # paths the exact reader must take


def _names(header: Header) -> list[str]:
    return [f"c{i}" for i in range(len(header.names))]


def _read_one(path: str, header: Header, max_line_bytes: int) -> pa.Table | None:
    """One file as text columns, or None when any record of it is malformed (or it cannot be read).

    Arrow's unit of parallel parsing is a block, and a record must fit in one: with blocks of the
    line limit, a longer record stops the parser, and the exact reader then refuses the file with
    the line named.
    """
    names = _names(header)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                             block_size=max(max_line_bytes, 1 << 16)),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=False, check_utf8=True))
    except (pa.ArrowException, OSError):  # the first malformed record stops the parser
        return None
    return table.append_column("filename", pa.repeat(pa.scalar(path), table.num_rows)
                               .dictionary_encode())


def read_batch(paths: list[str], header: Header, max_line_bytes: int) -> ArrowBatch:
    """Read ``paths`` (files sharing ``header``) into one Arrow table; name the files it could not."""
    batch = ArrowBatch(table=None)
    with ThreadPoolExecutor(max_workers=min(_READERS, len(paths))) as pool:
        tables = list(pool.map(lambda p: _read_one(p, header, max_line_bytes), paths))
    read: list[pa.Table] = []
    for path, table in zip(paths, tables, strict=True):
        if table is None:
            batch.unread.add(path)
        else:
            batch.rows[path] = table.num_rows
            read.append(table)
    if read:
        batch.table = pa.concat_tables(read, promote_options="permissive") if len(read) > 1 else read[0]
    return batch


def fits(path: Path) -> bool:
    """Whether the Arrow reader takes this file (small enough to hold in memory with its batch)."""
    return path.stat().st_size <= MAX_FILE_BYTES
