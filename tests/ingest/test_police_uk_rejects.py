"""Bad rows go to ``rejects`` with exact physical line numbers; files that are not police.uk are refused."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from police_uk_helpers import DATA, FEB, JAN, load, query, scalar

from safer_communities.errors import InputError
from safer_communities.ingest.police_uk_read import read_police_csv

CRLF = "\r\n"


def _fields(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8").rstrip("\r\n")]))


def _line(fields: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=CRLF).writerow(fields)
    return out.getvalue().encode("utf-8")


def _edit(lines: list[bytes], number: int, column: int | None, value: str | None) -> None:
    """Set one field of the record on physical line ``number`` (1-based); column None: add a field."""
    fields = _fields(lines[number - 1])
    if column is None:
        fields.append(value or "")
    elif value is None:
        del fields[column]
    else:
        fields[column] = value
    lines[number - 1] = _line(fields)


@pytest.fixture
def corrupted(tmp_path: Path) -> Path:
    """The real January slice with one known fault per reason, behind a quoted multi-line field."""
    lines = JAN.read_bytes().splitlines(keepends=True)
    _edit(lines, 4, None, "extra")                      # 13 fields
    _edit(lines, 5, 1, "January 2021")                  # unparseable month
    _edit(lines, 6, 1, "2021-02")                       # month of another file
    _edit(lines, 7, 4, "-2,5")                          # longitude not a number (quoted comma)
    _edit(lines, 8, 4, "0")                             # (0, 0)
    _edit(lines, 8, 5, "0")
    _edit(lines, 9, 9, "")                              # empty crime type
    _edit(lines, 10, 5, "")                             # latitude missing, longitude given
    _edit(lines, 11, 11, None)                          # 11 fields
    lines[11] = lines[11].replace(b"On or near", b"On or near \xff\xfe")  # line 12: not UTF-8
    _edit(lines, 13, 4, "-14.5")                        # Atlantic: outside the UK box
    _edit(lines, 14, 5, "north")                        # latitude not a number
    # Line 2's location holds a quoted line break: every later record starts one line further down.
    _edit(lines, 2, 6, "On or near\nBent Lane")
    target = tmp_path / "2021-01" / "2021-01-lancashire-street.csv"
    target.parent.mkdir()
    target.write_bytes(b"".join(lines))
    return target


EXPECTED = [
    (5, None, "wrong number of fields: expected 12, found 13"),
    (6, "Month", "unparseable month"),
    (7, "Month", "month does not match the file"),
    (8, "Longitude", "longitude is not a number"),
    (9, "Longitude", "coordinates outside the UK"),
    (10, "Crime type", "empty crime type"),
    (11, "Longitude", "only one of longitude and latitude given"),
    (12, None, "wrong number of fields: expected 12, found 11"),
    (13, None, "not valid UTF-8 text"),
    (14, "Longitude", "coordinates outside the UK"),
    (15, "Latitude", "latitude is not a number"),
]


def test_each_reject_reason_with_exact_line_numbers(store_path: Path, corrupted: Path) -> None:
    report = load(store_path, corrupted)
    file = report.files[0]
    assert (file.rows_read, file.rows_loaded, file.rows_rejected) == (171, 160, 11)
    assert query(store_path, "SELECT line_number, field, reason FROM rejects ORDER BY 1") == EXPECTED
    raw = query(store_path, "SELECT raw_line FROM rejects WHERE line_number IN (6, 13) ORDER BY line_number")
    assert ",January 2021,Lancashire Constabulary,Lancashire Constabulary," in raw[0][0]
    assert "On or near \ufffd\ufffd" in raw[1][0]
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 160
    assert scalar(store_path, "SELECT location FROM crimes ORDER BY rowid LIMIT 1") == "On or near\nBent Lane"
    assert scalar(store_path, "SELECT DISTINCT source_file FROM rejects") == str(corrupted)


def test_rejects_in_one_file_do_not_stop_the_others(store_path: Path, corrupted: Path) -> None:
    feb = corrupted.parent.parent / "2021-02" / FEB.name
    feb.parent.mkdir()
    shutil.copy(FEB, feb)
    report = load(store_path, corrupted.parent.parent)
    assert [(f.rows_read, f.rows_loaded, f.rows_rejected) for f in report.files] == [
        (171, 160, 11), (174, 174, 0)]


def test_reader_alone_reports_structural_rejects(corrupted: Path) -> None:
    parsed = read_police_csv(corrupted)
    assert parsed.kind == "street"
    assert parsed.rows_read == 171
    assert [(r[0], r[2]) for r in parsed.rejects] == [
        (5, "wrong number of fields: expected 12, found 13"),
        (12, "wrong number of fields: expected 12, found 11"),
        (13, "not valid UTF-8 text")]
    assert parsed.table.column("line_number").to_pylist()[:3] == [2, 4, 6]


def test_stop_and_search_date_outside_the_files_month(store_path: Path, tmp_path: Path) -> None:
    src = DATA / "stop-search/2025-06/2025-06-cheshire-stop-and-search.csv"
    lines = src.read_bytes().splitlines(keepends=True)
    _edit(lines, 3, 1, "2025-08-01T10:00:00+00:00")
    _edit(lines, 4, 1, "yesterday")
    _edit(lines, 5, 13, "maybe")
    target = tmp_path / src.name
    target.write_bytes(b"".join(lines))
    report = load(store_path, target)
    assert (report.rows_loaded, report.rows_rejected) == (57, 3)
    assert query(store_path, "SELECT line_number, field, reason FROM rejects ORDER BY 1") == [
        (3, "Date", "date is not in the month of the file"), (4, "Date", "unparseable date"),
        (5, "Outcome linked to object of search", "not True or False")]


# --- files refused whole: InputError naming the file, and nothing of the command loads ---------

def _refused(store_path: Path, bad: Path, message: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load(store_path, JAN, bad)  # a good file first: it must not stay either
    assert message in str(caught.value)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 0
    assert scalar(store_path, "SELECT count(*) FROM ingests") == 0
    return caught.value


def test_binary_file_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-02-lancashire-street.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    error = _refused(store_path, bad, "not a text (CSV) file")
    assert bad.name in str(error.found)


def test_missing_columns_named(store_path: Path, tmp_path: Path) -> None:
    lines = FEB.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "2021-02-lancashire-street.csv"
    bad.write_bytes(b"".join(_line(_fields(x)[:9] + _fields(x)[10:]) for x in lines))  # no Crime type
    error = _refused(store_path, bad, "Not a police.uk file: no 'Crime type' column.")
    assert "2021-02-lancashire-street.csv" in str(error.found)


def test_missing_required_column_of_a_known_kind(store_path: Path, tmp_path: Path) -> None:
    lines = FEB.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "2021-02-lancashire-street.csv"
    bad.write_bytes(b"".join(_line(_fields(x)[:4] + _fields(x)[6:]) for x in lines))  # no coordinates
    _refused(store_path, bad, "police.uk street file has no 'Longitude', 'Latitude' column.")


def test_other_csv_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "population.csv"
    bad.write_text("LSOA Code,Year,Population\r\nE01012345,2020,1500\r\n")
    _refused(store_path, bad, "Not a police.uk file")


def test_empty_file_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-02-lancashire-street.csv"
    bad.write_bytes(b"")
    _refused(store_path, bad, "The file is empty.")


def test_broken_zip_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "police-archive.zip"
    bad.write_bytes((DATA / "archive.zip").read_bytes()[:400])
    _refused(store_path, bad, "not a readable zip archive")


def test_zip_without_csv_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "archive.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("README.txt", "nothing here")
    _refused(store_path, bad, "holds no CSV files")


def test_stop_and_search_without_force_refused(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "searches.csv"
    shutil.copy(DATA / "stop-search/2025-06/2025-06-cheshire-stop-and-search.csv", bad)
    error = _refused(store_path, bad, "Cannot tell which force this stop-and-search file is from.")
    assert error.hint and "--force" in error.hint
    report = load(store_path, bad, force="cheshire")
    assert (report.files[0].force, report.rows_loaded) == ("cheshire", 60)


def test_header_only_file_loads_nothing_and_says_so(store_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "2021-02-lancashire-street.csv"
    empty.write_bytes(FEB.read_bytes().splitlines(keepends=True)[0])
    report = load(store_path, empty)
    assert (report.files[0].rows_read, report.files[0].status) == (0, "loaded")
