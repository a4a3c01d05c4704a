"""crime_lsoa_months, crime_type_months and crime_lsoa_totals always equal counts over crimes, whatever
the ingest history, and a store of an older schema gets them (in force order) when a writer opens it."""

from __future__ import annotations

from datetime import date
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
    "crime_lsoa_totals": (
        "SELECT force, lsoa_code, count(*) FROM crimes GROUP BY ALL ORDER BY ALL",
        "SELECT force, lsoa_code, records FROM crime_lsoa_totals ORDER BY ALL"),
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
    assert sum(r[2] for r in first["crime_lsoa_totals"]) == sum(r[3] for r in first["crime_lsoa_months"])
    assert len({r[0] for r in first["crime_lsoa_totals"]}) > 1  # several forces
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    assert _check(store_path) == first
    run_ingest(store_path, "police-uk", [DATA / "release-a"])
    run_ingest(store_path, "police-uk", [DATA / "release-b"])  # replaces release-a's month
    later = _check(store_path)
    assert later["crime_lsoa_totals"] != first["crime_lsoa_totals"]


KINDS = {
    kind: (f"SELECT force, month, count(*){', mode(reported_by)' if kind == 'outcomes' else ''} FROM {kind} "
           "GROUP BY ALL ORDER BY ALL",
           f"SELECT force, month, records{', reported_by' if kind == 'outcomes' else ''} "
           f"FROM police_force_months WHERE kind = '{kind}' ORDER BY ALL")
    for kind in ("outcomes", "stop_search")}


def _check_kinds(store: Path) -> dict[str, list[tuple]]:
    con = connect(store, read_only=True)
    try:
        out = {}
        for kind, (raw, rollup) in KINDS.items():
            out[kind] = con.execute(raw).fetchall()
            assert con.execute(rollup).fetchall() == out[kind], kind
        return out
    finally:
        con.close()


def test_police_force_months_follow_loads_reloads_and_a_later_release(store_path: Path,
                                                                      tmp_path: Path) -> None:
    """Outcomes and stop-and-search force-months (what `safer quality` reports for them) equal counts
    over their tables after a load, the same load again, and a later release of one outcomes month."""
    run_ingest(store_path, "police-uk", [DATA / "archive", DATA / "stop-search"])
    first = _check_kinds(store_path)
    assert first["outcomes"] == [("lancashire", date(2021, 3, 1), 100, "Lancashire Constabulary")]
    stop_search = [(r[0], r[2]) for r in first["stop_search"]]
    assert stop_search == [("cheshire", 60), ("durham", 40), ("merseyside", 40)]  # the files' rows
    run_ingest(store_path, "police-uk", [DATA / "archive", DATA / "stop-search"])
    assert _check_kinds(store_path) == first
    release = tmp_path / "release" / "2021-03"
    release.mkdir(parents=True)
    source = DATA / "archive/2021-03/2021-03-lancashire-outcomes.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    (release / "2021-03-lancashire-outcomes.csv").write_text("\n".join(lines[:-6]) + "\n", encoding="utf-8")
    run_ingest(store_path, "police-uk", [release.parent])
    assert _check_kinds(store_path)["outcomes"][0][2] == 94


def _in_force_order(store: Path) -> bool:
    """Whether crime_lsoa_months is stored in force order (a plain scan returns insertion order)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        con.execute("SET threads = 1")
        forces = [r[0] for r in con.execute("SELECT force FROM crime_lsoa_months").fetchall()]
    finally:
        con.close()
    return forces == sorted(forces) and len(set(forces)) > 1


def test_a_schema_5_store_gets_lsoa_totals_and_force_order_when_opened(store_path: Path) -> None:
    """Schema 6: a store written at schema 5 (crime_lsoa_months in month order, no crime_lsoa_totals)
    is brought up to date by the first writer that opens it; a reader before that still gets the same
    quality report from the roll-ups it has."""
    from safer_communities.analysis.quality import quality_report

    run_ingest(store_path, "police-uk", [DATA / "multi-force", DATA / "archive/2021-03"])
    assert _in_force_order(store_path)
    con = duckdb.connect(str(store_path))
    con.execute("DROP TABLE crime_lsoa_totals")
    con.execute("DROP TABLE police_force_months")
    con.execute("DROP TABLE repeated_crime_id_totals")
    con.execute("CREATE OR REPLACE TABLE crime_lsoa_months AS "
                "SELECT * FROM crime_lsoa_months ORDER BY month, lsoa_code, force")
    con.execute("UPDATE store_meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    assert not _in_force_order(store_path)
    reader = connect(store_path, read_only=True)
    try:
        assert quality_report(reader).to_dict() == quality_report(reader, scan=True).to_dict()
    finally:
        reader.close()
    connect(store_path).close()
    assert _check(store_path)["crime_lsoa_totals"]
    assert _check_kinds(store_path)["outcomes"]
    assert _in_force_order(store_path)
    reader = connect(store_path, read_only=True)
    try:
        from safer_communities.analysis.quality_rollup import repeat_totals

        assert repeat_totals(reader) is not None
        assert quality_report(reader).to_dict() == quality_report(reader, scan=True).to_dict()
    finally:
        reader.close()


def test_an_old_store_gets_its_small_rollups_built_when_opened(store_path: Path) -> None:
    run_ingest(store_path, "police-uk", [DATA / "multi-force"])
    con = duckdb.connect(str(store_path))
    con.execute("DROP TABLE crime_lsoa_months")
    con.execute("DROP TABLE crime_type_months")
    con.execute("UPDATE store_meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    connect(store_path).close()
    assert _check(store_path)["crime_type_months"]


def test_schema_6_tables_are_ignored_after_an_older_writer(store_path: Path) -> None:
    """An older version's writer keeps only the roll-ups it knows and writes its own schema version: a
    reader then ignores crime_lsoa_totals, police_force_months and repeated_crime_id_totals (stale
    here on purpose) and still reports what the scan reports."""
    from safer_communities.analysis import quality_rollup
    from safer_communities.analysis.quality import quality_report

    run_ingest(store_path, "police-uk", [DATA / "multi-force", DATA / "archive/2021-03"])
    con = duckdb.connect(str(store_path))
    con.execute("DELETE FROM crime_lsoa_totals WHERE force = 'lancashire'")
    con.execute("UPDATE police_force_months SET records = records + 1")
    con.execute("UPDATE repeated_crime_id_totals SET ids = ids + 7")
    con.execute("UPDATE store_meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    reader = connect(store_path, read_only=True)
    try:
        assert quality_rollup.available(reader)
        assert not {"crime_lsoa_totals", "police_force_months", "repeated_crime_id_totals"} & (
            quality_rollup.rollup_tables(reader))
        assert quality_report(reader).to_dict() == quality_report(reader, scan=True).to_dict()
    finally:
        reader.close()
