"""LSOA x month x crime type from the roll-up (shared codes summed again, the rest read as it stands)
equals the scan of crimes and a count of the files' rows, across forces sharing a code and rows
without one, and after a later release replaces a month."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from safer_communities.analysis import crime_rollup
from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")
NAMES = {"lancashire": "Lancashire Constabulary", "cumbria": "Cumbria Constabulary"}
TYPES = ("Burglary", "Vehicle crime", "Anti-social behaviour")


def _rows(force: str, month: str, seed: int) -> list[tuple[str | None, str]]:
    """(LSOA code or None, crime type) rows: codes of the force's own, one code both forces report
    (a border LSOA), and rows without a location."""
    own = "E01025" if force == "lancashire" else "E01019"
    out: list[tuple[str | None, str]] = []
    for k in range(40 + seed):
        crime_type = TYPES[(k * 7 + seed) % 3]
        code = None if k % 9 == 0 else "E01024999" if k % 5 == 0 else f"{own}{k % 6:03d}"
        out.append((code, crime_type))
    return out


def _write(root: Path, force: str, month: str, rows: list[tuple[str | None, str]]) -> None:
    folder = root / month
    folder.mkdir(parents=True, exist_ok=True)
    name = NAMES[force]
    lines = [HEADER]
    for k, (code, crime_type) in enumerate(rows):
        crime_id = "" if crime_type == "Anti-social behaviour" else f"{force[:3]}{month}{k:04d}"
        where = (",,,No Location,,," if code is None else
                 f",-2.70{k:02d},53.76{k:02d},On or near Church Street,{code},Somewhere {code[-3:]},")
        lines.append(f"{crime_id},{month},{name},{name}{where}{crime_type},,")
    (folder / f"{month}-{force}-street.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _answer(store: Path, **kwargs: str) -> tuple[list[tuple], list[tuple]]:
    con = connect(store, read_only=True)
    try:
        sql = crime_rollup.lsoa_month_type_sql(con, **kwargs)
        rolled = con.execute(f"{sql} ORDER BY ALL").fetchall()
        with crime_rollup.scanning():
            sql = crime_rollup.lsoa_month_type_sql(con, **kwargs)
            scanned = con.execute(f"{sql} ORDER BY ALL").fetchall()
        assert crime_rollup.counted(con)[0] == "crime_monthly_counts"
    finally:
        con.close()
    return rolled, scanned


def _expected(files: dict[tuple[str, str], list[tuple[str | None, str]]]) -> list[tuple]:
    counts = Counter((code, f"{month}-01", crime_type) for (_, month), rows in files.items()
                     for code, crime_type in rows)
    return sorted(((code, duckdb.sql(f"SELECT DATE '{m}'").fetchall()[0][0], t, n)
                   for (code, m, t), n in counts.items()), key=lambda r: (r[0] is None, r))


def test_lsoa_month_type_equals_the_scan_and_the_files(tmp_path: Path) -> None:
    archive, store = tmp_path / "archive", tmp_path / "store.duckdb"
    files = {(force, month): _rows(force, month, seed)
             for seed, (force, month) in enumerate((f, m) for f in NAMES for m in ("2023-01", "2023-02"))}
    for (force, month), rows in files.items():
        _write(archive, force, month, rows)
    run_ingest(store, "police-uk", [archive])
    rolled, scanned = _answer(store)
    assert rolled == scanned
    assert sorted(rolled, key=lambda r: (r[0] is None, r)) == _expected(files)
    shared = [r for r in rolled if r[0] == "E01024999"]
    assert shared and all(isinstance(r[3], int) for r in rolled)
    assert any(r[0] is None for r in rolled)

    release = tmp_path / "release"  # a later release replaces Cumbria's 2023-02 with other rows
    files[("cumbria", "2023-02")] = _rows("cumbria", "2023-02", 11)
    _write(release, "cumbria", "2023-02", files[("cumbria", "2023-02")])
    run_ingest(store, "police-uk", [release])
    rolled, scanned = _answer(store)
    assert rolled == scanned
    assert sorted(rolled, key=lambda r: (r[0] is None, r)) == _expected(files)

    county = "SELECT 'E01024999' AS lsoa_code UNION ALL SELECT 'E01025001'"
    rolled, scanned = _answer(store, codes=county)
    assert rolled == scanned and {r[0] for r in rolled} == {"E01024999", "E01025001"}
