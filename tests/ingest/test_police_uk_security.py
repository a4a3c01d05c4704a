"""The police.uk ingest against files made to hurt it (issue 11, item 2): each test reproduces a
finding on the real slices in tests/data/police-uk and failed before the fix.

A broken re-download must never silently replace a month; invalid bytes are per-row rejects;
archives and gzip files are read within limits; bad files are refused with the file named.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
import zlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from police_uk_helpers import DATA, FEB, JAN, load, query, scalar

from safer_communities.errors import InputError
from safer_communities.ingest.police_uk import ingest_police_uk
from safer_communities.ingest.runner import run_ingest

SRC = Path(__file__).resolve().parents[2] / "src"
SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]
JAN_ROWS = 171  # data rows of the January slice (wc -l = 172 with the header)


def _lines(path: Path = JAN) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write(folder: Path, data: bytes, name: str = JAN.name) -> Path:
    target = folder / name[:7] / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _safer(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    return subprocess.run([*SAFER, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def loaded(store_path: Path) -> Path:
    """A store holding the real January 2021 slice (171 rows)."""
    assert load(store_path, JAN).rows_loaded == JAN_ROWS
    return store_path


def _refused_replacement(store: Path, bad: Path, *fragments: str, force: str | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        load(store, bad, force=force)
    message = str(caught.value)
    assert "Refused to replace the street rows held for lancashire 2021-01" in message
    assert "--replace" in (caught.value.hint or "")
    for fragment in fragments:
        assert fragment in message
    # nothing changed: the month is still the one loaded first
    assert scalar(store, "SELECT count(*) FROM crimes WHERE month = DATE '2021-01-01'") == JAN_ROWS
    assert scalar(store, "SELECT count(*) FROM ingests") == 1
    return caught.value


# --- a broken re-download never silently deletes a month -------------------------------------------

def test_stray_quote_does_not_replace_the_month(loaded: Path, tmp_path: Path) -> None:
    lines = _lines()
    lines[100] = lines[100].replace(b",On or near ", b',"On or near ', 1)  # opens a quote never closed
    bad = _write(tmp_path, b"".join(lines))
    _refused_replacement(loaded, bad, "2021-01: 99 valid rows would replace 171 (42% fewer")


def test_header_only_file_does_not_replace_the_month(loaded: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path, _lines()[0])
    _refused_replacement(loaded, bad, "it would delete the 171 rows held for 2021-01 and load none",
                         "it holds no rows (a header line only)")


def test_download_cut_in_half_does_not_replace_the_month(loaded: Path, tmp_path: Path) -> None:
    lines = _lines()
    bad = _write(tmp_path, b"".join(lines[:86]) + lines[86][:40])  # 85 rows and a broken one
    _refused_replacement(loaded, bad, "2021-01: 85 valid rows would replace 171 (50% fewer")


def test_another_months_rows_under_the_months_name(loaded: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path, FEB.read_bytes())  # February's 174 rows named 2021-01
    _refused_replacement(loaded, bad, "it is named 2021-01 but its rows hold 2021-02 (174 rows)",
                         "174 of its 174 rows are rejected (100%")


def test_small_extract_with_force_does_not_replace_the_month(loaded: Path, tmp_path: Path) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_bytes(b"".join(_lines()[:11]))
    _refused_replacement(loaded, extract, "2021-01: 10 valid rows would replace 171 (94% fewer",
                         force="lancashire")


def test_replace_insists_and_says_so(loaded: Path, tmp_path: Path) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_bytes(b"".join(_lines()[:11]))
    report = run_ingest(loaded, "police-uk", [extract], force="lancashire", replace=True)
    assert (report.rows_loaded, report.rows_replaced) == (10, JAN_ROWS)
    assert "replaced because --replace was given, although 2021-01: 10 valid rows" in report.warnings[0]
    assert scalar(loaded, "SELECT count(*) FROM crimes") == 10


def test_a_real_later_release_still_replaces(loaded: Path) -> None:
    """release-b: 161 rows for 171 (6% fewer, outcome fields updated) is a plausible release."""
    report = load(loaded, DATA / "release-b")
    assert (report.rows_loaded, report.rows_replaced, report.warnings) == (161, JAN_ROWS, [])


def test_cli_refusal_exits_2_and_replace_flag(loaded: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path, _lines()[0])
    result = _safer("--db", str(loaded), "ingest", "police-uk", "--json", str(bad))
    assert result.returncode == 2, result.stderr
    assert "Refused to replace" in result.stderr and "Traceback" not in result.stderr
    result = _safer("--db", str(loaded), "ingest", "police-uk", "--json", "--replace", str(bad))
    assert result.returncode == 0, result.stderr
    assert scalar(loaded, "SELECT count(*) FROM crimes") == 0


@settings(max_examples=200, deadline=None)
@given(held=st.integers(1, 10**6), valid=st.integers(0, 10**6), rejected=st.integers(0, 10**6))
def test_plausibility_thresholds(held: int, valid: int, rejected: int) -> None:
    from safer_communities.ingest.replace_check import MonthRows, implausible

    rows_read = valid + rejected
    reasons = implausible([MonthRows(date(2021, 1, 1), held, valid)], rows_read=rows_read,
                          rows_rejected=rejected, file_month=date(2021, 1, 1),
                          months_in_rows={date(2021, 1, 1): rows_read})
    fine = valid >= held * 0.9 and valid > 0 and rejected <= rows_read * 0.05
    assert (reasons == []) == fine
    # nothing held: nothing to protect, never refused
    assert implausible([MonthRows(date(2021, 1, 1), 0, valid)], rows_read=rows_read,
                       rows_rejected=rejected, file_month=None, months_in_rows={}) == []


# --- rows and columns ---------------------------------------------------------------------------

def test_latin1_byte_is_a_per_row_reject_with_its_line(store_path: Path, tmp_path: Path) -> None:
    lines = _lines()
    lines[50] = lines[50].replace(b"On or near ", b"On or near Caf\xe9 ", 1)  # physical line 51
    bad = _write(tmp_path, b"".join(lines))
    report = load(store_path, bad)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (JAN_ROWS, JAN_ROWS - 1, 1)
    (line, field, reason, raw), = query(store_path,
                                         "SELECT line_number, field, reason, raw_line FROM rejects")
    assert (line, field, reason) == (51, None, "not valid UTF-8 text")
    assert "On or near Caf\ufffd " in raw
    assert scalar(store_path, "SELECT DISTINCT source_file FROM rejects") == str(bad)


def test_doubled_bom_refused(store_path: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path, b"\xef\xbb\xbf\xef\xbb\xbf" + JAN.read_bytes())
    with pytest.raises(InputError, match="two byte-order marks") as caught:
        load(store_path, bad)
    assert str(bad) in str(caught.value.found)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 0


def _without(column: str, source: Path = JAN) -> bytes:
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    at = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r[:at] + r[at + 1:] for r in rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("column", ["LSOA code", "Crime ID", "Location"])
def test_missing_published_column_refused(store_path: Path, tmp_path: Path, column: str) -> None:
    bad = _write(tmp_path, _without(column))
    with pytest.raises(InputError, match=f"police.uk street file has no '{column}' column"):
        load(store_path, bad)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 0


def test_context_column_may_be_missing(store_path: Path, tmp_path: Path) -> None:
    assert load(store_path, _write(tmp_path, _without("Context"))).rows_loaded == JAN_ROWS


@pytest.mark.parametrize("blank", [" ", "   ", "\t"])
def test_blank_crime_type_is_a_reject(store_path: Path, tmp_path: Path, blank: str) -> None:
    rows = list(csv.reader(io.StringIO(JAN.read_text(encoding="utf-8"), newline="")))
    rows[20][9] = blank  # physical line 21 (no quoted line breaks in the slice)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    report = load(store_path, _write(tmp_path, out.getvalue().encode("utf-8")))
    assert (report.rows_loaded, report.rows_rejected) == (JAN_ROWS - 1, 1)
    assert query(store_path, "SELECT line_number, field, reason FROM rejects") == [
        (21, "Crime type", "empty crime type")]


def test_line_longer_than_the_limit_refused(store_path: Path, tmp_path: Path) -> None:
    lines = _lines()
    lines[30] = lines[30].replace(b"On or near ", b"On or near " + b"x" * (3 << 20), 1)
    bad = _write(tmp_path, b"".join(lines))
    with pytest.raises(InputError, match="Line 31 is longer than 1,048,576 characters") as caught:
        load(store_path, bad)
    assert str(bad) in str(caught.value.found)


# --- archives and compression ----------------------------------------------------------------------

def _corrupt_middle(data: bytes, start: int, length: int = 64) -> bytes:
    return data[:start] + bytes(b ^ 0x5A for b in data[start:start + length]) + data[start + length:]


def test_corrupt_zip_member_is_a_clear_error(store_path: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(JAN, "2021-01/2021-01-lancashire-street.csv")
    data = archive.read_bytes()
    archive.write_bytes(_corrupt_middle(data, len(data) // 3))
    with pytest.raises(InputError, match="could not be extracted: the archive is corrupt") as caught:
        load(store_path, archive)
    assert f"{archive}!2021-01/2021-01-lancashire-street.csv" in str(caught.value.found)


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_damaged_gzip_is_a_clear_error(store_path: Path, tmp_path: Path, damage: str) -> None:
    packed = gzip.compress(JAN.read_bytes())
    packed = _corrupt_middle(packed, len(packed) // 2) if damage == "corrupt" else packed[:len(packed) // 2]
    bad = tmp_path / "2021-01-lancashire-street.csv.gz"
    bad.write_bytes(packed)
    with pytest.raises(InputError, match="gzip-compressed file is corrupt or cut short") as caught:
        load(store_path, JAN.parent.parent / "2021-02", bad)
    assert str(bad) in str(caught.value.found)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 0


def test_damaged_gzip_through_the_cli(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-01-lancashire-street.csv.gz"
    bad.write_bytes(gzip.compress(JAN.read_bytes())[:2000])
    result = _safer("--db", str(store_path), "ingest", "police-uk", "-q", str(bad))
    assert result.returncode == 2
    assert "corrupt or cut short" in result.stderr and bad.name in result.stderr
    assert "Traceback" not in result.stderr


def test_nested_zip_is_read(store_path: Path, tmp_path: Path) -> None:
    outer = tmp_path / "downloads.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(DATA / "archive.zip", "police/archive.zip")
    report = load(store_path, outer)
    assert report.rows_loaded == 445
    assert report.files[0].path == f"{outer}!police/archive.zip!2021-01/2021-01-lancashire-street.csv"
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 345


def test_zip_nested_twice_is_named_and_refused(store_path: Path, tmp_path: Path) -> None:
    middle = tmp_path / "middle.zip"
    with zipfile.ZipFile(middle, "w") as zf:
        zf.write(DATA / "archive.zip", "archive.zip")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(middle, "middle.zip")
    with pytest.raises(InputError, match="inside another is not read") as caught:
        load(store_path, outer)
    assert caught.value.found == f"{outer}!middle.zip!archive.zip"


# --- decompression bombs, under a memory limit --------------------------------------------------

_BLANK = b"\r\n" * (1 << 19)  # 1 MiB of blank lines


def _bomb_zip(path: Path, gib: int) -> None:
    """A zip whose one member is the January header and rows followed by ``gib`` GiB of blank lines,
    written in seconds and about 1 KB per MiB on disk: each 1 MiB block, compressed after a full
    flush, is the same 1,040 deflate bytes, so it is compressed once and repeated."""
    flusher = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = flusher.compress(_BLANK) + flusher.flush(zlib.Z_FULL_FLUSH)

    class Repeating:
        def __init__(self) -> None:
            self.inner = zlib.compressobj(9, zlib.DEFLATED, -15)

        def compress(self, data: bytes) -> bytes:
            if data is _BLANK:
                return chunk
            return self.inner.compress(data) + self.inner.flush(zlib.Z_FULL_FLUSH)

        def flush(self) -> bytes:
            return self.inner.flush()

    original = zipfile._get_compressor  # type: ignore[attr-defined]
    zipfile._get_compressor = lambda *args, **kwargs: Repeating()  # type: ignore[attr-defined]
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf, \
                zf.open("2021-01/2021-01-lancashire-street.csv", "w", force_zip64=True) as member:
            member.write(JAN.read_bytes())
            for _ in range(gib << 10):
                member.write(_BLANK)
    finally:
        zipfile._get_compressor = original  # type: ignore[attr-defined]


def _bomb_gzip(path: Path, gib: int) -> None:
    """A multi-member gzip (valid: members concatenate) of the same shape as ``_bomb_zip``."""
    block = gzip.compress(_BLANK, compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(JAN.read_bytes()))
        for _ in range(gib << 10):
            out.write(block)


def _ingest_under_memory_limit(store: Path, target: Path, limit_mib: int) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({limit_mib} << 20, {limit_mib} << 20))
        from safer_communities.cli import main
        sys.argv = ["safer", "--db", {str(store)!r}, "ingest", "police-uk", "-q", {str(target)!r}]
        main()
    """)
    # glibc reserves 64 MB of address space per thread arena: keep two, so the limit measures use
    env = {**os.environ, "PYTHONPATH": str(SRC), "MALLOC_ARENA_MAX": "2"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_zip_bomb_refused_within_a_memory_limit(store_path: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "police.zip"
    _bomb_zip(bomb, 4)
    assert bomb.stat().st_size < 6 << 20
    with zipfile.ZipFile(bomb) as zf:
        assert zf.infolist()[0].file_size > 4 << 30
    result = _ingest_under_memory_limit(store_path, bomb, 1536)
    assert result.returncode == 2, result.stderr
    assert "larger than the 1,024 MiB a police.uk file may be" in result.stderr
    assert "2021-01/2021-01-lancashire-street.csv" in result.stderr
    assert scalar(store_path, "SELECT count(*) FROM ingests") == 0


@pytest.mark.slow
def test_gzip_bomb_refused_within_a_memory_limit(store_path: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "2021-01-lancashire-street.csv.gz"
    _bomb_gzip(bomb, 4)
    assert bomb.stat().st_size < 6 << 20
    result = _ingest_under_memory_limit(store_path, bomb, 1536)
    assert result.returncode == 2, result.stderr
    assert "expands more than 100 times when decompressed" in result.stderr
    assert bomb.name in result.stderr


@pytest.mark.slow
def test_exact_reader_streams_a_large_file_in_bounded_memory(tmp_path: Path) -> None:
    """The exact reader (which the ingest uses for a file with a bad byte) on 513,171 real rows
    (128 MB) within 768 MiB of address space: the old reader held the bytes, one string of the whole
    file and a list of its lines at once, and ran out of memory here."""
    body = b"".join(_lines()[1:])
    bad = _lines()
    bad[5] = bad[5].replace(b"On or near ", b"On or near \xff", 1)
    target = tmp_path / "2021-01" / JAN.name
    target.parent.mkdir()
    with target.open("wb") as out:
        out.write(b"".join(bad))
        for _ in range(3000):
            out.write(body)
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))
        from pathlib import Path
        from safer_communities.ingest.police_uk_read import read_police_csv
        parsed = read_police_csv(Path({str(target)!r}))
        print(parsed.table.num_rows, [(r[0], r[2]) for r in parsed.rejects])
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC), "MALLOC_ARENA_MAX": "2"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"{JAN_ROWS * 3001 - 1} [(6, 'not valid UTF-8 text')]"


# --- the CLI: data printed as text, usage errors tidy ------------------------------------------------

def test_rich_markup_in_data_is_printed_as_text(store_path: Path, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(JAN.read_text(encoding="utf-8"), newline="")))
    for row in rows[1:]:
        row[2] = "Lancs [/b]"  # Reported by: names the force of a file whose name does not
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    extract = tmp_path / "[red]extract.csv"  # a style tag: Rich would hide it
    extract.write_bytes(out.getvalue().encode("utf-8"))
    result = _safer("--db", str(store_path), "ingest", "police-uk", str(extract))
    assert result.returncode == 0, result.stderr
    assert "force set to 'lancs-b' from 'Reported by' (Lancs [/b])" in result.stderr
    assert "[red]extract.csv" in result.stdout
    assert scalar(store_path, "SELECT DISTINCT reported_by FROM crimes") == "Lancs [/b]"


@pytest.mark.parametrize(("args", "message"), [
    (["ingest", "police-uk", "/no/such/archive.zip"], "does not exist"),
    (["ingest", "police-uk", "--no-such-option", str(JAN)], "No such option: --no-such-option"),
    (["--bogus"], "No such option: --bogus"),
    (["ingest", "police-uk"], "Missing argument"),
])
def test_usage_errors_are_one_tidy_message_with_exit_2(store_path: Path, args: list[str],
                                                       message: str) -> None:
    result = _safer("--db", str(store_path), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1


def test_library_refusal_leaves_an_in_memory_store_untouched(tmp_path: Path) -> None:
    """The same plausibility check when the ingest is called from Python (no CLI, no runner)."""
    import duckdb

    from safer_communities.ingest.common import NullProgress
    from safer_communities.store.evidence import ensure_schema, transaction

    con = duckdb.connect()
    ensure_schema(con)
    with transaction(con):
        ingest_police_uk(con, [JAN], progress=NullProgress())
    bad = _write(tmp_path, _lines()[0])
    with pytest.raises(InputError, match="Refused to replace"), transaction(con):
        ingest_police_uk(con, [bad], progress=NullProgress())
    assert con.execute("SELECT count(*) FROM crimes").fetchone() == (JAN_ROWS,)
    shutil.rmtree(bad.parent)
