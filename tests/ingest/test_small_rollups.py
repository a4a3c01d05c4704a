"""crime_lsoa_months and crime_type_months always equal counts over crimes, whatever the ingest history."""

from __future__ import annotations

from pathlib import Path

import duckdb

from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

DATA = Path(__file__).resolve().parents[1] / "data" / "police-uk"

PAIRS = {
    "crime_lsoa_months": (
        "SELECT force, month, lsoa_code, count(*) FROM crimes GROUP BY ALL ORDER BY ALL",
        "SELECT force, month, lsoa_code, records FROM crime_lsoa_months ORDER BY ALL"),
    "crime_type_months": (
        "SELECT force, month, crime_type, count(*), count(*) FILTER (WHERE lsoa_code IS NULL) FROM crimes "
        "GROUP BY ALL ORDER BY ALL",
        "SELECT force, month, crime_type, records, no_lsoa FROM crime_type_months ORDER BY ALL"),
}


def _check(store: Path) -> dict[str, list[tuple]]:
    con = connect(store, read_only=True)
    try:
        out = {}
        for table, (raw, rollup) in PAIRS.items():
            expected = con.execute(raw).fetchall()
            assert con.execute(rollup).fetchall() == expected, table
            out[table] = expected
        return out
    finally:
        con.close()


def test_small_rollups_follow_loads_reloads_and_a_later_release(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    first = _check(store_path)
    assert sum(r[3] for r in first["crime_lsoa_months"]) > 0
    assert sum(r[3] for r in first["crime_type_months"]) == sum(r[3] for r in first["crime_lsoa_months"])
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    assert _check(store_path) == first
    run_ingest(store_path, "police-uk", [DATA / "release-a"])
    run_ingest(store_path, "police-uk", [DATA / "release-b"])  # replaces release-a's month
    _check(store_path)


def test_an_old_store_gets_its_small_rollups_built_when_opened(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    con = duckdb.connect(str(store_path))
    con.execute("DROP TABLE crime_lsoa_months")
    con.execute("DROP TABLE crime_type_months")
    con.execute("UPDATE store_meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    connect(store_path).close()
    assert _check(store_path)["crime_type_months"]
