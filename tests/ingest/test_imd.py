"""Deprivation ingest on real IoD2019 extracts (Chorley rows of File_1 and File_2)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError, SaferError
from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.imd import ingest_deprivation, read_deprivation
from safer_communities.store.evidence import connect, transaction

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
FILE_1 = REF / "imd2019_file_1_chorley.csv"
FILE_2 = REF / "imd2019_file_2_chorley.csv"


def ingest(store: Path, *paths: Path) -> IngestReport:
    con = connect(store)
    try:
        with transaction(con):
            return ingest_deprivation(con, list(paths))
    finally:
        con.close()


def query(store: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_file_1_bom_and_quoted_thousands(store_path: Path) -> None:
    assert FILE_1.read_bytes().startswith(b"\xef\xbb\xbf")
    report = ingest(store_path, FILE_1)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (66, 66, 0)
    assert query(store_path, "SELECT imd_version, imd_rank, imd_decile, crime_rank FROM deprivation "
                 "WHERE lsoa_code = 'E01024919'") == [("IMD2019", 18929, 6, None)]


def test_file_2_domains(store_path: Path) -> None:
    ingest(store_path, FILE_2)
    assert query(store_path, "SELECT imd_rank, income_rank, income_decile, employment_rank, education_rank, "
                 "health_rank, crime_rank, crime_decile, barriers_rank, living_environment_rank, "
                 "living_environment_decile FROM deprivation WHERE lsoa_code = 'E01024919'") == [
        (18929, 15856, 5, 15579, 20978, 9338, 21026, 7, 19053, 29335, 9)]


def test_file_1_after_file_2_keeps_the_domains(store_path: Path) -> None:
    ingest(store_path, FILE_2)
    report = ingest(store_path, FILE_1)
    assert report.rows_replaced == 66
    assert query(store_path, "SELECT count(*), count(crime_rank) FROM deprivation") == [(66, 66)]


def test_bad_rank_and_decile_are_rejected_with_line_and_field(store_path: Path, tmp_path: Path) -> None:
    lines = FILE_1.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b",9\r\n", b",11\r\n")  # decile 11
    lines[5] = b"E01024999,Chorley 999A,E07000118,Chorley,\"12,3\",3\r\n"
    bad = tmp_path / "File_1.csv"
    bad.write_bytes(b"".join(lines))
    report = ingest(store_path, bad)
    assert report.rows_rejected == 2 and report.rows_loaded == 64
    rejects = query(store_path, "SELECT line_number, field FROM rejects ORDER BY 1")
    assert rejects[0] == (3, "Index of Multiple Deprivation (IMD) Decile")
    assert rejects[1] == (6, "Index of Multiple Deprivation (IMD) Rank")


def test_not_an_imd_file_is_refused(store_path: Path) -> None:
    other = REF / "population.csv"
    with pytest.raises(InputError, match="not an Indices of Deprivation 2019 file"):
        ingest(store_path, other)


@settings(max_examples=80, deadline=None)
@given(cells=st.lists(st.lists(st.sampled_from(["E01024919", "E01", "18,929", "6", "0", "11", "", "x", "-2",
                                                "32845", "\"1,0\""]), min_size=6, max_size=7),
                      max_size=10),
       tail=st.text(max_size=30))
def test_reader_never_crashes(cells: list[list[str]], tail: str) -> None:
    header = FILE_1.read_bytes().splitlines()[0].decode("utf-8-sig")
    data = ("\n".join([header, *(",".join(c) for c in cells)]) + "\n" + tail).encode()
    try:
        frame, _ = read_deprivation(Path("File_1.csv"), data)
    except SaferError:
        return
    assert frame["imd_decile"].between(1, 10).all()
    assert frame["imd_rank"].between(1, 32844).all()
    assert frame["lsoa_code"].is_unique


def test_both_files_in_one_command_complete_the_rows_without_replacing(store_path: Path) -> None:
    """File_1 and File_2 loaded together fill the same rows: nothing held before is replaced."""
    report = ingest(store_path, FILE_1, FILE_2)
    assert [f.rows_replaced for f in report.files] == [0, 0]
    assert report.rows_loaded == 132
    assert query(store_path, "SELECT count(*), count(crime_rank) FROM deprivation") == [(66, 66)]
    again = ingest(store_path, FILE_1, FILE_2)  # the same bytes again: nothing loaded, nothing replaced
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert (again.rows_loaded, again.rows_replaced) == (0, 0)
    assert query(store_path, "SELECT count(*) FROM deprivation") == [(66,)]
