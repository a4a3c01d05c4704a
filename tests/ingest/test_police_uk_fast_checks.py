"""The cheaper forms of two ingest checks (issue 16, item 3) answer exactly what the old forms did.

- ``blank_sql`` (one RE2 match) against ``trim(col, <characters>)`` (what the ingest used): whether a
  Crime or Outcome type is empty.
- ``scan_text``'s line-break counts (per block, CR LF pairs by numpy, pairs across blocks added)
  against a plain count over the whole file, with blocks small enough that pairs fall across them.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from police_uk_helpers import FEB, JAN, load, query, scalar

from safer_communities.ingest import limits
from safer_communities.ingest.police_uk_sql import BLANK_CHARACTERS, blank_sql

_OLD_BLANK = "nullif(trim(s, ' ' || chr(9) || chr(11) || chr(12) || chr(160)), '') IS NULL"
_CON = duckdb.connect()


def _blank(values: list[str | None]) -> list[tuple[bool, bool]]:
    _CON.execute("CREATE OR REPLACE TEMP TABLE v (i INTEGER, s VARCHAR)")
    _CON.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
    return [(bool(old), bool(new)) for old, new in _CON.execute(
        f"SELECT {_OLD_BLANK}, {blank_sql('s')} FROM v ORDER BY i").fetchall()]


def test_blank_sql_on_real_and_edge_values() -> None:
    values = [None, "", " ", "\t", "\xa0", "\x0b\x0c", " \xa0 \t", "Burglary", " Burglary ", "\xa0x",
              "x\xa0", "\u2003", "\n", "\r", "é", "Anti-social behaviour"]
    results = _blank(values)
    assert [new for _, new in results] == [old for old, _ in results]
    assert [new for _, new in results][:7] == [True] * 7 and not any(new for _, new in results[7:])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    [*BLANK_CHARACTERS, "a", "é", "\u2003", "\n", "\r", "-", "'", "\\", "[", "]"]), max_size=6)),
    min_size=1, max_size=30))
def test_blank_sql_matches_trim(values: list[str | None]) -> None:
    for old, new in _blank(values):
        assert new == old


def _plain_counts(data: bytes) -> tuple[bool, int]:
    cr, lf, crlf = data.count(b"\r"), data.count(b"\n"), data.count(b"\r\n")
    return cr != crlf or (crlf > 0 and lf != crlf), lf


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60).map(lambda b: bytes(
    [(13, 10, 65, 44)[x % 4] for x in b])), st.integers(min_value=1, max_value=7))
def test_scan_text_line_breaks_across_blocks(data: bytes, block: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "_SCAN_BLOCK", block)
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        scan = limits.scan_text(path, "f.csv")
    mixed, lines = _plain_counts(data)
    assert (scan.mixed_line_breaks, scan.lines) == (mixed, lines)


def test_scan_text_on_a_real_month() -> None:
    path = JAN
    data = path.read_bytes()
    scan = limits.scan_text(path, path.name)
    assert scan.lines == data.count(b"\n") == data.count(b"\r\n")   # police.uk files are CR LF
    assert not scan.mixed_line_breaks and scan.valid_utf8
    damaged = data.replace(b"\r\n", b"\r", 1)  # one bare CR
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / path.name).write_bytes(damaged)
        assert limits.scan_text(Path(tmp) / path.name, path.name).mixed_line_breaks


# The fast path inserts a batch's valid rows first and keeps a file only when it gave one valid row per
# physical line after the header; any other file's rows are taken out again and it goes to the exact
# reader. The cases below must load exactly what the files hold.

def _records(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.reader(handle) if row) - 1


def _month_copy(root: Path, source: Path, data: bytes | None = None) -> Path:
    target = root / source.parent.name / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes() if data is None else data)
    return target


def test_a_bad_file_in_a_batch_goes_to_the_exact_reader(tmp_path: Path) -> None:
    lines = JAN.read_bytes().split(b"\r\n")
    fields = lines[4].split(b",")
    lines[4] = b",".join([fields[0], b"2021-13", *fields[2:]])   # line 5: unparseable month
    fields = lines[6].split(b",")
    lines[6] = b",".join([*fields[:9], b"\xc2\xa0 ", *fields[10:]])  # line 7: crime type of blanks
    jan = _month_copy(tmp_path / "batch", JAN, b"\r\n".join(lines))
    feb = _month_copy(tmp_path / "batch", FEB)
    store = tmp_path / "store.duckdb"
    report = load(store, tmp_path / "batch")
    assert [(f.rows_read, f.rows_loaded, f.rows_rejected) for f in report.files] == [
        (_records(jan), _records(jan) - 2, 2), (_records(feb), _records(feb), 0)]
    assert query(store, "SELECT line_number, field, reason FROM rejects ORDER BY 1") == [
        (5, "Month", "unparseable month"), (7, "Crime type", "empty crime type")]
    # ids follow the files' order with no gap, and every file's rows are in the store once
    assert query(store, "SELECT i.ingest_id, i.path, i.rows_loaded, count(c.ingest_id) FROM ingests AS i "
                        "LEFT JOIN crimes AS c USING (ingest_id) GROUP BY ALL ORDER BY 1") == [
        (1, str(jan), _records(jan) - 2, _records(jan) - 2), (2, str(feb), _records(feb), _records(feb))]


def test_records_that_are_not_one_line_each_still_load_whole(tmp_path: Path) -> None:
    data = JAN.read_bytes()
    no_final_break = _month_copy(tmp_path / "a", JAN, data.rstrip(b"\r\n"))
    lines = data.split(b"\r\n")
    fields = lines[1].split(b",")
    lines[1] = b",".join([*fields[:6], b'"On or near\r\nBent Lane"', *fields[7:]])  # a quoted line break
    two_lines = _month_copy(tmp_path / "b", JAN, b"\r\n".join(lines))
    for path in (no_final_break, two_lines):
        store = path.parent.parent / "store.duckdb"
        report = load(store, path)
        assert (report.files[0].rows_loaded, report.files[0].rows_rejected) == (_records(path), 0)
        assert scalar(store, "SELECT count(*) FROM crimes") == _records(path) == _records(JAN)
    assert scalar(two_lines.parent.parent / "store.duckdb",
                  "SELECT count(*) FROM crimes WHERE location = 'On or near\r\nBent Lane'") == 1
