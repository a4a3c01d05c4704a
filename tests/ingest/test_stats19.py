"""STATS19 ingest on the real 2023 Lancashire collisions in Chorley (tests/data/reference)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError, SaferError
from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.stats19 import ingest_stats19, parse_date, read_stats19
from safer_communities.store.evidence import connect, transaction

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
CHORLEY = REF / "stats19_2023_chorley.csv"


def ingest(store: Path, *paths: Path) -> IngestReport:
    con = connect(store)
    try:
        with transaction(con):
            return ingest_stats19(con, list(paths))
    finally:
        con.close()


def query(store: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _lines() -> list[str]:
    return CHORLEY.read_text().splitlines()


def test_chorley_2023_collisions(store_path: Path) -> None:
    report = ingest(store_path, CHORLEY)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (178, 178, 0)
    assert query(store_path, "SELECT accident_severity, count(*) FROM collisions GROUP BY 1 ORDER BY 1") == [
        (1, 2), (2, 62), (3, 114)]
    # local_authority_district is -1 in every row (retired): the district comes from the ONS column.
    assert query(store_path, "SELECT DISTINCT local_authority_ons_district, local_authority_highway "
                 "FROM collisions") == [("E07000118", "E10000017")]
    assert query(store_path, "SELECT date, time, hour, day_of_week, easting, northing, lsoa_code, "
                 "speed_limit FROM collisions WHERE accident_index = '2023041259271'") == [
        (dt.date(2023, 1, 3), "17:00", 17, 3, 357942.0, 419808.0, "E01024937", 40)]


def test_minus_one_and_blank_codes_are_null(store_path: Path, tmp_path: Path) -> None:
    header, first, *_ = _lines()
    fields = first.split(",")
    names = header.split(",")
    fields[names.index("speed_limit")] = "-1"
    fields[names.index("location_easting_osgr")] = ""
    fields[names.index("location_northing_osgr")] = "NULL"
    fields[names.index("lsoa_of_accident_location")] = "-1"
    edited = tmp_path / "collisions.csv"
    edited.write_text(f"{header}\n{','.join(fields)}\n")
    ingest(store_path, edited)
    row = query(store_path, "SELECT speed_limit, easting, northing, lsoa_code, road_type FROM collisions")
    assert row == [(None, None, None, None, 6)]


def test_bad_date_and_severity_are_rejected_with_line_and_field(store_path: Path, tmp_path: Path) -> None:
    lines = _lines()
    lines[3] = lines[3].replace("/2023,", "/2O23,", 1)
    parts = lines[10].split(",")
    parts[8] = "4"
    lines[10] = ",".join(parts)
    bad = tmp_path / "collisions.csv"
    bad.write_text("\r\n".join(lines) + "\r\n\r\n")
    report = ingest(store_path, bad)
    assert (report.rows_loaded, report.rows_rejected) == (176, 2)
    assert query(store_path, "SELECT line_number, field FROM rejects ORDER BY 1") == [
        (4, "date"), (11, "accident_severity")]


def test_a_later_load_replaces_collisions_by_index(store_path: Path, tmp_path: Path) -> None:
    ingest(store_path, CHORLEY)
    again = ingest(store_path, CHORLEY)
    assert again.files[0].status == "unchanged"
    compressed = tmp_path / "collisions.csv.gz"
    compressed.write_bytes(gzip.compress(CHORLEY.read_bytes()))
    report = ingest(store_path, compressed)
    assert report.rows_replaced == 178
    counts = query(store_path, "SELECT count(*), count(DISTINCT accident_index) FROM collisions")
    assert counts == [(178, 178)]


def test_file_missing_required_columns_is_refused_whole(store_path: Path, tmp_path: Path) -> None:
    header, *rows = _lines()
    bad = tmp_path / "casualties.csv"
    bad.write_text("\n".join([header.replace("accident_severity", "casualty_severity"), *rows]))
    with pytest.raises(InputError, match="not a STATS19 collision file"):
        ingest(store_path, CHORLEY, bad)
    assert query(store_path, "SELECT count(*) FROM collisions") == [(0,)]


def test_parse_date_accepts_dft_and_iso_dates() -> None:
    assert parse_date("03/01/2023") == dt.date(2023, 1, 3)
    assert parse_date("2023-01-03") == dt.date(2023, 1, 3)
    with pytest.raises(ValueError):
        parse_date("31/02/2023")


@settings(max_examples=80, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 36), st.sampled_from(
    ["", "-1", "x", "NULL", "99/99/2023", "1", "9", "25:00", "1e9", "E0", "\"", "2022", "700001"])),
    max_size=6), tail=st.text(max_size=20))
def test_reader_never_crashes(edits: list[tuple[int, str]], tail: str) -> None:
    header, first, *_ = _lines()
    fields = first.split(",")
    for position, value in edits:
        fields[position] = value
    data = f"{header}\n{first}\n{','.join(fields)}\n{tail}".encode()
    try:
        frame, rejects = read_stats19(Path("collisions.csv"), data)
    except SaferError:
        return
    assert frame["accident_severity"].isin([1, 2, 3]).all()
    assert frame["accident_index"].is_unique
    assert len(frame) >= 1 and all(line is None or line >= 3 for line, *_ in rejects)


def _safer(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from safer_communities.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200"})


def test_cli_json_report_and_exit_code_for_a_refused_file(store_path: Path, tmp_path: Path) -> None:
    done = _safer("--db", str(store_path), "ingest", "stats19", str(CHORLEY), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert (payload["rows_read"], payload["rows_loaded"], payload["rows_rejected"]) == (178, 178, 0)
    assert payload["files"][0]["kind"] == "stats19"
    bad = tmp_path / "not-stats19.csv"
    bad.write_text("a,b\n1,2\n")
    refused = _safer("--db", str(store_path), "ingest", "stats19", str(bad))
    assert refused.returncode == 2
    assert "not a STATS19 collision file" in refused.stderr
