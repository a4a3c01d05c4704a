"""Population ingest on real ONS and MHCLG extracts (tests/data/reference), with their quirks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError, SaferError
from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.population import ingest_population, read_population
from safer_communities.store.evidence import connect, transaction

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
LONG = REF / "population_2014_2020_chorley.csv.gz"
MID_2020 = REF / "population.csv"
IOD = REF / "iod2019_denominators_chorley.csv.gz"


def ingest(store: Path, *paths: Path) -> IngestReport:
    con = connect(store)
    try:
        with transaction(con):
            return ingest_population(con, list(paths))
    finally:
        con.close()


def query(store: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_long_form_estimates_by_year(store_path: Path) -> None:
    report = ingest(store_path, LONG)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (462, 462, 0)
    assert query(store_path, "SELECT year, population FROM population WHERE area_code = 'E01024919' "
                 "ORDER BY year") == [(2014, 3981), (2015, 4320), (2016, 4623), (2017, 5109), (2018, 5533),
                                      (2019, 5843), (2020, 6190)]
    assert query(store_path, "SELECT sum(population) FROM population WHERE year = 2020") == [(118870,)]


def test_bom_and_quoted_thousands_and_the_announced_year(store_path: Path) -> None:
    report = ingest(store_path, MID_2020)
    assert report.rows_loaded == 86 and report.rows_rejected == 0
    assert query(store_path, "SELECT year, population FROM population WHERE area_code = 'E01011949'") == [
        (2020, 1944)]
    assert any("taken as mid-2020" in w for w in report.warnings)


def test_year_in_the_file_name_is_used(store_path: Path, tmp_path: Path) -> None:
    named = tmp_path / "population-mid-2019.csv"
    named.write_bytes(MID_2020.read_bytes())
    report = ingest(store_path, named)
    assert report.warnings == []
    assert query(store_path, "SELECT DISTINCT year FROM population") == [(2019,)]


def test_iod2019_denominators_are_mid_2015(store_path: Path) -> None:
    ingest(store_path, IOD)
    assert query(store_path, "SELECT year, population, source FROM population "
                 "WHERE area_code = 'E01024919'") == [
        (2015, 4320, "IoD2019 population denominators (mid-2015, excluding prisoners): "
                     "iod2019_denominators_chorley.csv.gz")]


def test_later_loads_replace_the_same_area_and_year(store_path: Path) -> None:
    ingest(store_path, LONG)
    report = ingest(store_path, MID_2020)
    assert report.rows_replaced == 66  # Chorley's 2020 rows, now from the mid-2020 file
    assert query(store_path, "SELECT count(*) FROM population") == [(462 + 20,)]
    assert query(store_path, "SELECT population FROM population WHERE area_code = 'E01024919' "
                 "AND year = 2020") == [(6190,)]
    again = ingest(store_path, MID_2020)
    assert again.files[0].status == "unchanged" and again.rows_loaded == 0


def test_bad_values_are_rejected_with_line_and_field(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pop.csv"
    bad.write_bytes(b"\xef\xbb\xbfYear,LSOA Code,Population\r\n2020,E01024919,\"6,190\"\r\n"
                    b"2020,E01024920,-5\r\n2020,E01024921,lots\r\n20x0,E01024922,1\r\n"
                    b"2020,Chorley,1\r\n2020,E01024919,7\r\n2020,E01024923\r\n\r\n")
    report = ingest(store_path, bad)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (7, 1, 6)
    rejects = query(store_path, "SELECT line_number, field, reason FROM rejects ORDER BY line_number")
    assert [(line, field) for line, field, _ in rejects] == [
        (3, "Population"), (4, "Population"), (5, "Year"), (6, "LSOA Code"), (7, None), (8, None)]
    assert "negative" in rejects[0][2] and "duplicate of line 2" in rejects[4][2]
    assert "expected 3 fields" in rejects[5][2]


def test_file_missing_columns_is_refused_whole(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pop.csv"
    bad.write_text("Year,LSOA Code,People\n2020,E01024919,6190\n")
    with pytest.raises(InputError, match="required column") as caught:
        ingest(store_path, LONG, bad)
    assert "population" in (caught.value.found or "").lower()
    assert query(store_path, "SELECT count(*) FROM population") == [(0,)]


rows = st.lists(st.tuples(st.sampled_from(["2020", "2019", "x", "", "-1", "2,020"]),
                          st.sampled_from(["E01024919", "E01024920", "W01000001", "E0102", ""]),
                          st.sampled_from(["1", "1,944", "-3", "", "abc", "12,34", "\"1"])
                          | st.text(max_size=5)),
                max_size=12)


@settings(max_examples=80, deadline=None)
@given(rows=rows, extra=st.text(max_size=40), bom=st.booleans(), crlf=st.booleans())
def test_reader_never_crashes_nor_loads_half_a_file(rows: list[tuple[str, str, str]], extra: str,
                                                     bom: bool, crlf: bool) -> None:
    end = "\r\n" if crlf else "\n"
    text = end.join(["Year,LSOA Code,Population", *(",".join(r) for r in rows)]) + end + extra
    data = ("\ufeff" if bom else "").encode() + text.encode()
    try:
        frame, rejects, _ = read_population(Path("pop.csv"), data)
    except SaferError:
        return
    assert (frame["population"] >= 0).all()
    assert frame["area_code"].str.match(r"^[EW]01\d{6}$").all()
    assert not frame.duplicated(["area_code", "year"]).any()
    assert all(line is None or line >= 2 for line, *_ in rejects)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200))
def test_reader_refuses_arbitrary_bytes_with_a_safer_error(data: bytes) -> None:
    try:
        frame, _, _ = read_population(Path("pop.csv"), data)
    except SaferError:
        return
    assert frame.empty  # no header that any population layout has: nothing can load
