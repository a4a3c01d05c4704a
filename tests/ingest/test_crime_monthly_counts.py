"""The crime_monthly_counts roll-up always equals a count over crimes, whatever the ingest history."""

from __future__ import annotations

from pathlib import Path

import duckdb

from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

DATA = Path(__file__).resolve().parents[1] / "data" / "police-uk"

RAW = """SELECT force, month, lsoa_code, crime_type, count(*) AS records FROM crimes
         GROUP BY ALL ORDER BY ALL"""
ROLLUP = """SELECT force, month, lsoa_code, crime_type, records FROM crime_monthly_counts
            ORDER BY ALL"""


def _both(store: Path) -> tuple[list[tuple], list[tuple]]:
    con = connect(store, read_only=True)
    try:
        return con.execute(RAW).fetchall(), con.execute(ROLLUP).fetchall()
    finally:
        con.close()


def test_rollup_matches_crimes_after_load_reload_and_a_later_release(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    raw, rollup = _both(store_path)
    assert rollup == raw
    assert sum(r[-1] for r in rollup) > 0
    assert {r[0] for r in rollup} >= {"lancashire", "cumbria", "city-of-london"}

    run_ingest(store_path, "police-uk", [DATA / "multi-force"])  # identical files: nothing changes
    assert _both(store_path) == (raw, rollup)

    run_ingest(store_path, "police-uk", [DATA / "release-a"])
    run_ingest(store_path, "police-uk", [DATA / "release-b"])  # replaces release-a's months
    raw, rollup = _both(store_path)
    assert rollup == raw


def test_an_old_store_gets_its_rollup_built_when_opened(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    con = duckdb.connect(str(store_path))
    expected = con.execute(RAW).fetchall()
    con.execute("DELETE FROM crime_monthly_counts")
    con.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    connect(store_path).close()  # a writer upgrades the store
    assert _both(store_path) == (expected, expected)


FORCE_MONTHS_RAW = """SELECT force, month, count(*),
                             count(*) FILTER (WHERE longitude IS NULL OR latitude IS NULL),
                             mode(reported_by) FROM crimes GROUP BY ALL ORDER BY ALL"""
FORCE_MONTHS = "SELECT force, month, records, unlocated, reported_by FROM crime_force_months ORDER BY ALL"


def _force_months(store: Path) -> tuple[list[tuple], list[tuple]]:
    con = connect(store, read_only=True)
    try:
        return con.execute(FORCE_MONTHS_RAW).fetchall(), con.execute(FORCE_MONTHS).fetchall()
    finally:
        con.close()


def test_force_month_rollup_matches_crimes_after_load_reload_and_a_later_release(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    raw, rollup = _force_months(store_path)
    assert rollup == raw
    assert sum(r[2] for r in rollup) > 0
    assert {r[4] for r in rollup} >= {"Lancashire Constabulary"}

    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    assert _force_months(store_path) == (raw, rollup)

    run_ingest(store_path, "police-uk", [DATA / "release-a"])
    run_ingest(store_path, "police-uk", [DATA / "release-b"])
    raw, rollup = _force_months(store_path)
    assert rollup == raw


def test_an_old_store_gets_its_force_month_rollup_built_when_opened(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    con = duckdb.connect(str(store_path))
    expected = con.execute(FORCE_MONTHS_RAW).fetchall()
    con.execute("DROP TABLE crime_force_months")
    con.execute("UPDATE store_meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    connect(store_path).close()
    assert _force_months(store_path) == (expected, expected)
