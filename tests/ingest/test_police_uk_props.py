"""Hypothesis: no mutation of a real police.uk file crashes the reader or half-loads the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from police_uk_helpers import DATA, JAN

from safer_communities.errors import InputError, SaferError
from safer_communities.ingest.common import NullProgress
from safer_communities.ingest.police_uk import ingest_police_uk, read_police_csv
from safer_communities.store.evidence import ensure_schema, transaction

BASE = b"".join(JAN.read_bytes().splitlines(keepends=True)[:12])
STOP = b"".join((DATA / "stop-search/2025-06/2025-06-cheshire-stop-and-search.csv")
                .read_bytes().splitlines(keepends=True)[:8])
SPECIAL = st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"",
                           b"2021-13", b"0", b"-0.0", b"NaN", b"1e999", b" ", b"No Location", b"\t"])


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate"]))
        if op == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif op == "insert":
            data[at:at] = draw(st.one_of(SPECIAL, st.binary(min_size=1, max_size=8)))
        elif op == "replace":
            data[at:at + 1] = draw(SPECIAL)
        elif op == "truncate":
            del data[at:]
        else:
            end = data.find(b"\n", at)
            data[at:at] = data[at:end + 1 if end >= 0 else len(data)]
    return bytes(data)


def _ingest(content: bytes, name: str, force: str | None = None) -> None:
    """Ingest one file into a fresh in-memory store; check the all-or-nothing invariant."""
    con = duckdb.connect()
    ensure_schema(con)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name[:7] / name
        path.parent.mkdir()
        path.write_bytes(content)
        try:
            with transaction(con):
                report = ingest_police_uk(con, [path], progress=NullProgress(), force=force)
        except SaferError:
            counts = con.execute(
                "SELECT (SELECT count(*) FROM crimes) + (SELECT count(*) FROM stop_search) "
                "+ (SELECT count(*) FROM ingests) + (SELECT count(*) FROM rejects)").fetchone()
            assert counts == (0,)
            return
    for file in report.files:
        assert file.rows_read == file.rows_loaded + file.rows_rejected
    table = "stop_search" if report.files[0].kind == "stop_search" else "crimes"
    stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert stored == report.rows_loaded
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == report.rows_rejected
    unplaced = con.execute(f"SELECT count(*) FROM {table} WHERE month IS NULL OR force IS NULL").fetchone()
    assert unplaced == (0,)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(BASE))
def test_mutated_street_file_loads_whole_or_not_at_all(content: bytes) -> None:
    _ingest(content, "2021-01-lancashire-street.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(STOP))
def test_mutated_stop_and_search_file_loads_whole_or_not_at_all(content: bytes) -> None:
    _ingest(content, "2025-06-cheshire-stop-and-search.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(BASE))
def test_mutated_file_without_a_police_uk_name(content: bytes) -> None:
    _ingest(content, "extract.csv", force=None)


@settings(max_examples=80, deadline=None)
@given(st.one_of(mutated(BASE), st.binary(max_size=300)))
def test_reader_never_fails_with_anything_but_input_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2021-01-lancashire-street.csv"
        path.write_bytes(content)
        try:
            parsed = read_police_csv(path)
        except InputError:
            return
    assert parsed.rows_read == parsed.table.num_rows + len(parsed.rejects)
    assert parsed.table.num_rows == len(set(parsed.table.column("line_number").to_pylist()))
