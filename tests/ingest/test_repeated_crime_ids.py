"""repeated_crime_ids, kept by the police.uk ingest, always equals a count over crimes, and `safer quality`
read from it equals the full scan: repeats within a month, across months and across forces, a later
release replacing a month (removing and adding repeats), both refresh paths, and an old store's upgrade."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from safer_communities.analysis.quality import quality_report
from safer_communities.analysis.quality_rollup import repeat_totals, repeats_available
from safer_communities.ingest.runner import run_ingest
from safer_communities.store import repeats
from safer_communities.store.evidence import connect

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")
NAMES = {"lancashire": "Lancashire Constabulary", "cumbria": "Cumbria Constabulary"}

RAW = """SELECT crime_id, force, month, count(*) AS records FROM crimes WHERE crime_id IS NOT NULL
         GROUP BY crime_id, force, month QUALIFY sum(count(*)) OVER (PARTITION BY crime_id) > 1
         ORDER BY ALL"""
TABLE = "SELECT crime_id, force, month, records FROM repeated_crime_ids ORDER BY ALL"


def _write(root: Path, force: str, month: str, ids: list[str | None]) -> None:
    """One archive-layout street file: a row per ID (None: an ASB row, which has no Crime ID)."""
    folder = root / month
    folder.mkdir(parents=True, exist_ok=True)
    name = NAMES[force]
    lines = [HEADER]
    for k, crime_id in enumerate(ids):
        kind = "Anti-social behaviour" if crime_id is None else "Burglary"
        lines.append(f"{crime_id or ''},{month},{name},{name},-2.70{k:02d},53.76{k:02d},"
                     f"On or near Church Street,E01025{k % 9:03d},Preston 0{k % 9:02d}A,{kind},,")
    (folder / f"{month}-{force}-street.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ids(prefix: str, n: int) -> list[str | None]:
    return [f"{prefix}{k:04d}" for k in range(n)]


def _state(store: Path) -> tuple[list[tuple], list[tuple], dict, dict]:
    con = connect(store, read_only=True)
    try:
        assert repeats_available(con)
        totals = repeat_totals(con)  # the one-row table the report reads, in step with the IDs
        assert totals is not None and totals[0] == len({r[0] for r in con.execute(TABLE).fetchall()})
        return (con.execute(RAW).fetchall(), con.execute(TABLE).fetchall(),
                quality_report(con).to_dict(), quality_report(con, scan=True).to_dict())
    finally:
        con.close()


@pytest.fixture(params=[1.0, 0.0], ids=["incremental", "full-rebuild"])
def refresh_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> float:
    """Take each refresh path: 1.0 always counts the touched IDs again, 0.0 always rebuilds."""
    monkeypatch.setattr(repeats, "FULL_REBUILD_SHARE", request.param)
    return request.param


def test_repeats_follow_loads_and_a_replaced_month(tmp_path: Path, refresh_path: float) -> None:
    store = tmp_path / "store.duckdb"
    first = tmp_path / "first"
    # X twice in one file; Y in January and February; Z in Lancashire and Cumbria the same month.
    _write(first, "lancashire", "2024-01", ["X", "X", "Y", "Z", "U1", None, None, *_ids("a", 20)])
    _write(first, "lancashire", "2024-02", ["Y", "U2", None, *_ids("b", 20)])
    _write(first, "cumbria", "2024-01", ["Z", "U3", *_ids("c", 20)])
    run_ingest(store, "police-uk", [first])
    raw, table, rolled, scanned = _state(store)
    assert table == raw
    assert {r[0] for r in table} == {"X", "Y", "Z"}
    assert rolled == scanned
    assert rolled["duplicate_crime_ids"] == {
        "ids": 3, "rows": 6, "extra_rows": 3, "within_month_ids": 2, "within_month_extra_rows": 2,
        "across_months_ids": 1,
    }

    # Loading the same files again changes nothing.
    run_ingest(store, "police-uk", [first])
    assert _state(store)[1] == table

    # A later release of Lancashire January: X once (no longer repeated), Y gone from January (so
    # single in February), Z kept, and W, which Cumbria February (loaded in the same command) repeats.
    second = tmp_path / "second"
    _write(second, "lancashire", "2024-01", ["X", "Z", "W", "U1", None, None, *_ids("a", 20)])
    _write(second, "cumbria", "2024-02", ["W", "V", "V", *_ids("d", 20)])
    run_ingest(store, "police-uk", [second], replace=True)
    raw, table, rolled, scanned = _state(store)
    assert table == raw
    assert {r[0] for r in table} == {"Z", "W", "V"}
    assert rolled == scanned
    assert rolled["duplicate_crime_ids"]["ids"] == 3
    assert rolled["duplicate_crime_ids"]["across_months_ids"] == 1  # W: January and February

    # Another release that repeats an ID already in the store only in another force and month.
    third = tmp_path / "third"
    _write(third, "lancashire", "2024-02", ["U3", "b0001", None, *_ids("b", 20)])
    run_ingest(store, "police-uk", [third], replace=True)
    raw, table, rolled, scanned = _state(store)
    assert table == raw
    assert {r[0] for r in table} == {"Z", "W", "V", "U3", "b0001"}
    assert rolled == scanned


def test_an_old_store_gets_its_repeats_built_when_opened(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    root = tmp_path / "files"
    _write(root, "lancashire", "2024-01", ["X", "X", "Y", *_ids("a", 5)])
    _write(root, "cumbria", "2024-02", ["Y", *_ids("c", 5)])
    run_ingest(store, "police-uk", [root])
    con = duckdb.connect(str(store))
    expected = con.execute(RAW).fetchall()
    con.execute("DROP TABLE repeated_crime_ids")
    con.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    con = connect(store, read_only=True)  # a reader of the old store scans for repeated IDs
    try:
        assert not repeats_available(con)
        assert quality_report(con).to_dict()["duplicate_crime_ids"]["ids"] == 2
    finally:
        con.close()
    connect(store).close()  # a writer upgrades the store
    raw, table, rolled, scanned = _state(store)
    assert raw == table == expected
    assert rolled == scanned
