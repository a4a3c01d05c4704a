"""police.uk street, outcomes and stop-and-search files -> the evidence store.

Rules (docs/ingest-police-uk.md): every valid row is kept as published; a file replaces what the
store holds for the same (kind, force, month), unless it does not look like a complete release of
it (``replace_check``; docs/security-ingest.md); identical bytes already in the store are skipped;
a bad row goes to ``rejects`` with its physical line number and the rest of the file loads; a file
that is not a police.uk file stops the whole command (the runner rolls the transaction back).

Reusable pieces: ``read_police_csv`` (exact reader), ``read_header``, ``to_bng``.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from safer_communities.errors import InputError
from safer_communities.ingest import police_uk_sql as sql
from safer_communities.ingest.bng import to_bng
from safer_communities.ingest.common import (
    FileReport,
    IngestReport,
    Progress,
    new_ingest_id,
    record_ingest,
    record_ingests,
    record_rejects,
)
from safer_communities.ingest.limits import DEFAULT_LIMITS, Limits, scan_text
from safer_communities.ingest.police_uk_files import Source, find_sources
from safer_communities.ingest.police_uk_read import (
    HINT,
    Header,
    PoliceCsv,
    force_slug,
    iter_police_csv,
    name_parts,
    police_csv_schema,
    read_header,
    read_police_csv,
)
from safer_communities.ingest.replace_check import (
    DEFAULT_POLICY,
    MonthRows,
    ReplacePolicy,
    implausible,
    refuse,
)

__all__ = ["PoliceCsv", "ingest_police_uk", "read_header", "read_police_csv", "to_bng"]

# Test hook for the kill-during-ingest test: seconds to pause after each file (announced on stderr).
_PAUSE_ENV = "SAFER_TEST_PAUSE_BETWEEN_FILES"


# Files checked and inserted together by one DuckDB scan (bounded so memory stays small).
_BATCH_BYTES = 256 << 20
_BATCH_FILES = 256
_MEMORY_LIMIT_BYTES = 3 * 2**30


@dataclass
class _Item:
    """One file on its way into the store."""

    index: int
    source: Source
    local: Path
    header: Header
    month: date | None
    name_force: str | None
    report: FileReport
    exact_only: bool = False
    records_at_most: int = 0  # physical lines after the header

    @property
    def key(self) -> tuple[str, str | None, date | None]:
        return self.header.kind, self.name_force, self.month


def ingest_police_uk(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    progress: Progress,
    force: str | None = None,
    replace: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    policy: ReplacePolicy = DEFAULT_POLICY,
) -> IngestReport:
    """Load police.uk files (archive zips, archive-layout folders, single CSV or CSV.GZ files).

    Runs inside the caller's transaction (``ingest.runner.run_ingest``): an ``InputError`` for any
    file means nothing from this command stays. ``force`` names the force for files whose name
    does not (required for stop-and-search files not named ``YYYY-MM-<force>-stop-and-search.csv``).
    A file that would replace what the store holds for a (kind, force, month) with implausible data
    (``replace_check``: far fewer rows, many rejects, another month's rows) is refused unless
    ``replace`` is true; every file is read within ``limits`` (``ingest.limits``).
    """
    user_force = force_slug(force) if force else None
    if force is not None and not user_force:
        raise InputError("The --force value is not a force name.", found=repr(force),
                         hint="Use the police.uk slug, e.g. 'lancashire' or 'city-of-london'.")
    report = IngestReport(source="police-uk")
    with tempfile.TemporaryDirectory(prefix="safer-police-uk-") as workdir, _bounded_memory(con):
        sources = find_sources(paths, Path(workdir), limits)
        progress.start(len(sources), "police.uk files")
        loader = _Loader(con, user_force, report.command_id, progress, Path(workdir),
                         replace=replace, limits=limits, policy=policy)
        try:
            for index, source in enumerate(sources):
                loader.add(index, source)
            loader.flush()
        finally:
            sql.drop_stage(con)
        report.files = [loader.done[i] for i in sorted(loader.done)]
        for kind in sql.TABLES:  # street-level crime's roll-ups, and the other kinds' force-months
            loaded = [f for f in report.files if f.kind == kind and f.status == "loaded"]
            if loaded:  # still within the memory cap: a national load regroups tens of millions of rows here
                sql.refresh_counts(con, [f.ingest_id for f in loaded if f.ingest_id is not None],
                                   [(f.force, f.month) for f in loaded if f.force and f.month], kind)
    return report


@contextmanager
def _bounded_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Cap DuckDB's memory while loading (it spills to disk beyond), then restore the setting.

    DuckDB's default is 80% of RAM, mostly cache; a national load would hold gigabytes of it.
    """
    before = str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
    match = re.fullmatch(r"([0-9.]+)\s*([KMGT]?)i?B", before.strip())
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    current = float(match[1]) * scale[match[2]] if match else float("inf")
    if current <= _MEMORY_LIMIT_BYTES:
        yield
        return
    con.execute(f"SET memory_limit = '{_MEMORY_LIMIT_BYTES // 2**20}MiB'")
    try:
        yield
    finally:
        with suppress(duckdb.Error):
            con.execute(f"SET memory_limit = '{before}'")


class _Loader:
    """Groups archive-named files into batches for one DuckDB scan; the rest go one at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, user_force: str | None, command_id: str,
                 progress: Progress, workdir: Path, *, replace: bool, limits: Limits,
                 policy: ReplacePolicy) -> None:
        self.con, self.user_force, self.command_id, self.progress = con, user_force, command_id, progress
        self.workdir, self.replace, self.limits, self.policy = workdir, replace, limits, policy
        self.batch: list[_Item] = []
        self.batch_bytes = 0
        self.done: dict[int, FileReport] = {}
        self.pause = float(os.environ.get(_PAUSE_ENV, "0") or 0)
        # What the store already holds, so files of a new force-month skip scanning the table.
        self.covered = sql.loaded_keys(con)
        self.shas = {r[0] for r in con.execute(
            "SELECT DISTINCT sha256 FROM ingests WHERE status = 'loaded'").fetchall()}

    def add(self, index: int, source: Source) -> None:
        local, packed_sha = source.materialise(self.workdir, index, self.limits)
        header = read_header(local, display=source.display)
        month, name_force, name_kind = name_parts(source.name, source.parent)
        name_force = name_force or self.user_force
        scan = scan_text(local, source.display, self.limits)
        sha = packed_sha or scan.sha256
        # DuckDB's reader stops on a bare CR (or a bare LF in a CRLF file), and skips the column
        # holding an invalid UTF-8 byte only when it reads that column: both go to the exact reader.
        lone_cr = scan.mixed_line_breaks or not scan.valid_utf8
        report = FileReport(path=source.display, kind=header.kind, sha256=sha, month=month,
                            force=name_force,
                            warnings=[w.replace(local.name, source.name) for w in header.warnings])
        if name_kind and name_kind != header.kind:
            report.warnings.append(
                f"{source.name}: named as {name_kind.replace('_', '-')} but its columns are "
                f"{header.kind.replace('_', '-')}; loaded as {header.kind.replace('_', '-')}.")
        item = _Item(index, source, local, header, month, name_force, report, exact_only=lone_cr,
                     records_at_most=scan.records_at_most)
        if any(other.key == item.key for other in self.batch) or not (month and name_force) or lone_cr:
            self.flush()  # a later release of a file in the batch, or a file that must go alone
        if sha in self.shas and _unchanged(self.con, sha, header.kind, name_force):
            report.status = "unchanged"
            record_ingest(self.con, report, command_id=self.command_id)
            self._finish(item)
        elif month and name_force and not lone_cr:
            self.batch.append(item)
            self.batch_bytes += local.stat().st_size
            if self.batch_bytes >= _BATCH_BYTES or len(self.batch) >= _BATCH_FILES:
                self.flush()
        else:
            self._single(item)

    def _finish(self, item: _Item) -> None:
        self.done[item.index] = item.report
        item.source.release(item.local)
        self.progress.advance(item.source.name)
        if self.pause:
            print(f"paused after {item.source.name}", file=sys.stderr, flush=True)
            time.sleep(self.pause)

    def flush(self) -> None:
        """Check and insert the batch: one scan per header layout; odd files fall back to one by one."""
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        groups: dict[tuple[str, tuple[str, ...], bool], list[_Item]] = {}
        for item in batch:
            groups.setdefault((item.header.kind, tuple(item.header.names), item.header.compressed),
                              []).append(item)
        for items in groups.values():
            self._fast(items)

    def _fast(self, items: list[_Item]) -> None:
        """Insert the valid rows of every file in one scan, then keep the files that gave one valid row
        per line: a file with a bad row, a line DuckDB's reader skipped or a record over two lines gave
        fewer, and goes back out to the exact reader (``_single``), which finds and rejects them."""
        kind = items[0].header.kind
        ids = sql.new_ingest_ids(self.con, len(items))
        sql.set_files(self.con, [(str(i.local), i.month) for i in items])
        for item, ingest_id in zip(items, ids, strict=True):
            item.report.ingest_id = ingest_id
        sql.assign_many(self.con, [(str(i.local), i.report.force or "", i.report.path, ingest_id)
                                   for i, ingest_id in zip(items, ids, strict=True)])
        try:
            sql.define_checked(self.con, kind, sql.csv_relation(
                items[0].header, [str(i.local) for i in items], self.limits.max_line_bytes))
            sql.insert_valid(self.con, kind)
        except duckdb.Error as exc:
            raise _unreadable(items, exc) from exc
        loaded = sql.rows_by_ingest(self.con, kind, ids)
        clean = [i for i in items if loaded.get(i.report.ingest_id or 0, 0) == i.records_at_most]
        others = [i for i in items if i not in clean]
        sql.delete_ingests(self.con, kind, [i.report.ingest_id or 0 for i in others])
        for item in clean:
            rows = item.report.rows_read = item.report.rows_loaded = item.records_at_most
            self._replace(item, {item.month: rows} if item.month else {}, rejected=0,
                          months_in_rows={item.month: rows}, new_ids=ids)
            self._check_counts(item, rows)
        record_ingests(self.con, [i.report for i in clean], command_id=self.command_id)
        for item in clean:
            self._finish(item)
        for item in others:  # keeps the id it was given: ids follow the files' order, with no gap
            self._single(item)

    def _assign(self, item: _Item, new: dict[date, int], *, rejected: int,
                months_in_rows: dict[date | None, int]) -> None:
        """Give the file its ingest id, after deleting what it replaces (if that is plausible)."""
        report = item.report
        self._replace(item, new, rejected=rejected, months_in_rows=months_in_rows)
        report.ingest_id = report.ingest_id or new_ingest_id(self.con)  # a batch's file has one
        sql.assign(self.con, str(item.local), force=report.force or "", source_file=report.path,
                   ingest_id=report.ingest_id)

    def _replace(self, item: _Item, new: dict[date, int], *, rejected: int,
                 months_in_rows: dict[date | None, int], new_ids: list[int] | None = None) -> None:
        """Delete what the file replaces, after checking the replacement is plausible (the rows of
        ``new_ids``, the batch just inserted, are not what it replaces)."""
        report = item.report
        kind, force = item.header.kind, report.force or ""
        months = sorted(new)
        if any(key in self.covered for key in [(kind, force, None)] + [(kind, force, m) for m in months]):
            held = sql.held_counts(self.con, kind, force, months, new_ids)
            rows = [MonthRows(m, held.get(m, 0), new[m]) for m in months]
            reasons = implausible(rows, rows_read=report.rows_read, rows_rejected=rejected,
                                  file_month=item.month, months_in_rows=months_in_rows,
                                  policy=self.policy)
            if reasons and not self.replace:
                raise refuse(report.path, kind, force, rows, reasons)
            if reasons:
                report.warnings.append(f"{item.source.name}: replaced because --replace was given, "
                                       f"although {'; '.join(reasons)}.")
            report.rows_replaced = sql.replace_existing(self.con, kind, force, months, new_ids)

    def _record(self, item: _Item, rows_read: int) -> None:
        self._check_counts(item, rows_read)
        record_ingest(self.con, item.report, command_id=self.command_id)
        self._finish(item)

    def _check_counts(self, item: _Item, rows_read: int) -> None:
        """Refuse a file whose rows do not add up; note what the store now holds."""
        report = item.report
        if report.rows_loaded + report.rows_rejected != rows_read:
            raise InputError("Row counts do not add up; nothing was loaded.",
                             found=f"{report.path}: read {rows_read}, loaded {report.rows_loaded}, "
                                   f"rejected {report.rows_rejected}", hint=HINT)
        self.covered.add((item.header.kind, report.force or "", report.month))
        self.shas.add(report.sha256)
        if rows_read and not report.rows_loaded:
            report.warnings.append(f"{item.source.name}: every row was rejected; see the 'rejects' table.")

    def _single(self, item: _Item) -> None:
        """One file on its own: exact line numbers for its rejects, force and months from its rows."""
        report, local = item.report, str(item.local)
        sql.set_files(self.con, [(local, item.month)])
        counts = {} if item.exact_only else _check(
            self.con, [item], sql.csv_relation(item.header, [local], self.limits.max_line_bytes))
        rejects: list[tuple[int | None, str | None, str, str | None]] = []
        spill = self.workdir / f"{item.index:06d}-exact.parquet"
        if item.exact_only or counts.get(local, (0, 0))[1]:
            import pyarrow.parquet as pq  # here: the fast path never needs pyarrow

            structural: list[tuple[int, str | None, str, str | None]] = []
            with pq.ParquetWriter(spill, police_csv_schema(item.header)) as writer:
                for batch in iter_police_csv(item.local, item.header, structural,
                                             display=item.source.display, limits=self.limits):
                    writer.write_batch(batch)
            counts = _check(self.con, [item], sql.stage_exact(str(spill), local))
            rejects = sorted(list(structural) + sql.reject_rows(self.con), key=lambda r: r[0] or 0)
        rows_read = counts.get(local, (0, 0))[0] + len(rejects) - counts.get(local, (0, 0))[1]
        report.rows_read = rows_read
        report.force = _choose_force(self.con, item, self.user_force)
        by_month = sql.month_counts(self.con)  # month -> (valid rows, rows)
        new = {item.month: rows_read - len(rejects)} if item.month else {
            m: valid for m, (valid, _) in by_month.items() if m is not None and valid}
        if item.month is None and len(new) == 1:
            report.month = next(iter(new))
        self._assign(item, new, rejected=len(rejects),
                     months_in_rows={m: n for m, (_, n) in by_month.items()})
        report.rows_loaded = sql.insert_valid(self.con, item.header.kind)
        report.rows_rejected = record_rejects(self.con, report.ingest_id or 0, report.path, rejects)
        spill.unlink(missing_ok=True)
        self._record(item, rows_read)


def _check(con: duckdb.DuckDBPyConnection, items: list[_Item], relation: str) -> dict[str, tuple[int, int]]:
    """``sql.check``, with a file DuckDB cannot read at all reported as the user's file."""
    try:
        return sql.check(con, items[0].header.kind, relation)
    except duckdb.Error as exc:
        raise _unreadable(items, exc) from exc


def _unreadable(items: list[_Item], exc: duckdb.Error) -> InputError:
    names = ", ".join(i.source.display for i in items[:3]) + (" ..." if len(items) > 3 else "")
    return InputError("A police.uk file could not be read.", found=f"{names}: {exc}".splitlines()[0],
                      hint=HINT)


def _unchanged(con: duckdb.DuckDBPyConnection, sha: str, kind: str, force: str | None) -> bool:
    """Identical bytes loaded before (for the same force, when known) AND all their rows still in the
    store (not replaced since by another release)."""
    rows = con.execute(
        "SELECT ingest_id, rows_loaded FROM ingests WHERE sha256 = ? AND kind = ? AND status = 'loaded' "
        "AND (? IS NULL OR force = ?) ORDER BY ingest_id DESC LIMIT 1", [sha, kind, force, force]).fetchall()
    if not rows:
        return False
    ingest_id, loaded = rows[0]
    held = con.execute(f"SELECT count(*) FROM {sql.TABLES[kind]} WHERE ingest_id = ?",
                       [ingest_id]).fetchone()[0]
    return int(held) == int(loaded)


def _choose_force(con: duckdb.DuckDBPyConnection, item: _Item, user_force: str | None) -> str:
    if item.name_force:
        return item.name_force
    if user_force:
        return user_force
    display = item.source.display
    if item.header.kind == "stop_search":
        raise InputError(
            "Cannot tell which force this stop-and-search file is from.",
            found=f"{display}: the name is not 'YYYY-MM-<force>-stop-and-search.csv' and "
                  "stop-and-search files have no 'Reported by' column",
            hint="Pass --force, e.g. --force cheshire, or keep the file's police.uk name.")
    names = sql.reported_by(con)
    slugs = sorted({force_slug(n) for n in names})
    if len(slugs) != 1:
        raise InputError(
            "Cannot tell which force this file is from.",
            found=f"{display}: 'Reported by' holds {names[:5] or 'nothing usable'}",
            hint="Pass --force with the force's police.uk slug, e.g. --force lancashire.")
    item.report.warnings.append(
        f"{item.source.name}: force set to '{slugs[0]}' from 'Reported by' ({names[0]}).")
    return slugs[0]
