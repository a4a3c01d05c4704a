"""`quality_report` and `safer quality` on stores built from real police.uk slices (tests/data/quality).

The expected figures were counted with the csv module by tests/data/quality/cut_quality.py, independently
of the SQL under test. The slices are loaded into the schema tables with DuckDB directly so these tests
do not depend on the police.uk ingester.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from safer_communities.analysis.quality import QualityReport, month_runs, quality_report
from safer_communities.cli import app
from safer_communities.store.evidence import connect

DATA = Path(__file__).resolve().parents[1] / "data" / "quality"
FORCE_FROM_NAME = r"^\d{4}-\d{2}-(.+)-(street|outcomes|stop-and-search)\.csv$"


def _load_police(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> None:
    """Insert every CSV under folder into a police.uk table, force slug from the file name."""
    source = f"read_csv('{folder}/*/*.csv', all_varchar = true, filename = true, header = true)"
    force = f"regexp_extract(parse_filename(filename), '{FORCE_FROM_NAME}', 1)"
    if table == "stop_search":
        con.execute(f"""
            INSERT INTO stop_search (type, datetime, month, latitude, longitude, gender, age_range,
                                     object_of_search, outcome, force, source_file, ingest_id)
            SELECT "Type", CAST("Date" AS TIMESTAMPTZ),
                   CAST(regexp_extract(parse_filename(filename), '^(\\d{{4}}-\\d{{2}})', 1) || '-01' AS DATE),
                   CAST("Latitude" AS DOUBLE), CAST("Longitude" AS DOUBLE), "Gender", "Age range",
                   "Object of search", "Outcome", {force}, filename, 1
            FROM {source}""")
        return
    last = "last_outcome_category" if table == "crimes" else "outcome_type"
    last_source = '"Last outcome category"' if table == "crimes" else '"Outcome type"'
    con.execute(f"""
        INSERT INTO {table} (crime_id, month, reported_by, falls_within, longitude, latitude, location,
                             lsoa_code, lsoa_name, {'crime_type, ' if table == 'crimes' else ''}{last},
                             force, source_file, ingest_id)
        SELECT "Crime ID", CAST("Month" || '-01' AS DATE), "Reported by", "Falls within",
               CAST("Longitude" AS DOUBLE), CAST("Latitude" AS DOUBLE), "Location", "LSOA code",
               "LSOA name", {'"Crime type", ' if table == 'crimes' else ''}{last_source}, {force}, filename, 1
        FROM {source}""")


def _load_areas(con: duckdb.DuckDBPyConnection) -> None:
    """The study area: Lancashire's 14 districts, one row per 2011 code and per new 2021 code."""
    lookup = f"read_csv('{DATA / 'lancashire_lsoa11_lsoa21.csv'}', all_varchar = true)"
    upper = """CASE WHEN LAD22CD LIKE 'E07%' THEN 'E10000017' ELSE LAD22CD END,
               CASE WHEN LAD22CD LIKE 'E07%' THEN 'Lancashire' ELSE LAD22NM END,
               'E23000003', 'Lancashire'"""
    con.execute(f"""
        INSERT INTO areas
        SELECT DISTINCT LSOA11CD, LSOA11NM, 2011, LSOA11CD, LAD22CD, LAD22NM, {upper} FROM {lookup}""")
    con.execute(f"""
        INSERT INTO areas
        SELECT LSOA21CD, any_value(LSOA21NM), 2021, min(LSOA11CD), any_value(LAD22CD), any_value(LAD22NM),
               {upper.replace('LAD22CD', 'any_value(LAD22CD)').replace('LAD22NM', 'any_value(LAD22NM)')}
        FROM {lookup} WHERE LSOA21CD NOT IN (SELECT lsoa_code FROM areas) GROUP BY LSOA21CD""")


def _store(path: Path, *, street: str | None = None, areas: bool = False,
           other_kinds: bool = False) -> Path:
    con = connect(path)
    if street:
        _load_police(con, DATA / street, "crimes")
    if areas:
        _load_areas(con)
    if other_kinds:
        _load_police(con, DATA / "outcomes", "outcomes")
        _load_police(con, DATA / "stop-and-search", "stop_search")
    con.close()
    return path


def _report(path: Path) -> QualityReport:
    con = connect(path, read_only=True)
    try:
        return quality_report(con)
    finally:
        con.close()


def test_multi_force_gap_is_reported_per_force(store_path: Path) -> None:
    report = _report(_store(store_path, street="multi-force", areas=True))
    assert sorted(report.forces) == ["city-of-london", "cumbria", "lancashire"]
    assert report.forces["cumbria"]["name"] == "Cumbria Constabulary"
    assert report.forces["cumbria"]["street"]["months"] == ["2024-01", "2024-02"]
    assert report.months["street"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert report.missing_months == {"cumbria": ["2024-03", "2024-04"]}
    assert report.total_rows == {"street": 290, "outcomes": 0, "stop_search": 0}
    messages = [w.message for w in report.warnings]
    gap = "Cumbria Constabulary (street-level crime): 2024-03, 2024-04 missing - a gap, not zero."
    assert gap in messages


def test_multi_force_location_and_area_counts(store_path: Path) -> None:
    report = _report(_store(store_path, street="multi-force", areas=True))
    assert report.unlocated_rows["total"] == 40
    assert report.unlocated_rows["by_month"] == {"2024-01": 10, "2024-02": 10, "2024-03": 10, "2024-04": 10}
    assert report.no_lsoa_rows["total"] == 40
    assert report.study_area_loaded is True
    assert report.outside_area_rows is not None
    assert report.outside_area_rows["total"] == 153
    assert report.outside_area_rows["in_wales"] == 0
    assert report.outside_area_rows["share"] == round(153 / 290, 4)
    assert report.unresolved_lsoa_codes is not None
    assert report.unresolved_lsoa_codes["codes"] == 17
    assert report.unresolved_lsoa_codes["by_nation"] == {"england": {"codes": 17, "rows": 153}}
    assert report.duplicate_crime_ids["ids"] == 0


def test_partial_lancashire_gap_duplicates_and_wales(store_path: Path) -> None:
    report = _report(_store(store_path, street="partial", areas=True))
    assert report.missing_months == {"lancashire": ["2020-06"]}
    assert report.forces["lancashire"]["street"]["first_month"] == "2019-12"
    assert report.forces["lancashire"]["street"]["last_month"] == "2020-07"
    assert report.unlocated_rows["by_month"] == {
        "2019-12": 3, "2020-01": 3, "2020-02": 3, "2020-03": 5, "2020-04": 3, "2020-05": 3, "2020-07": 3,
    }
    assert report.outside_area_rows is not None
    assert (report.outside_area_rows["total"], report.outside_area_rows["in_wales"]) == (13, 8)
    assert report.duplicate_crime_ids == {
        "ids": 5, "rows": 10, "extra_rows": 5, "within_month_ids": 3, "within_month_extra_rows": 3,
        "across_months_ids": 2,
    }


def test_duplicates_agree_with_the_crime_id_repeats_view(store_path: Path) -> None:
    _store(store_path, street="partial")
    con = connect(store_path, read_only=True)
    [(ids, rows, across)] = con.execute(
        "SELECT count(*), sum(n_rows), count(*) FILTER (WHERE n_months > 1) FROM crime_id_repeats"
    ).fetchall()
    report = quality_report(con)
    con.close()
    dup = report.duplicate_crime_ids
    assert (dup["ids"], dup["rows"], dup["across_months_ids"]) == (ids, rows, across) == (5, 10, 2)


def test_without_study_area_outside_counts_are_not_zero_but_unknown(store_path: Path) -> None:
    report = _report(_store(store_path, street="partial"))
    assert report.study_area_loaded is False
    assert report.outside_area_rows is None
    assert report.unresolved_lsoa_codes is None
    assert any("No study area is loaded" in w.message for w in report.warnings)
    assert report.to_dict()["outside_area_rows"] is None


def test_other_kinds_and_stop_search_months(store_path: Path) -> None:
    report = _report(_store(store_path, other_kinds=True))
    assert report.stop_search_months == {"durham": ["2019-12", "2020-01", "2020-02"]}
    assert report.forces["durham"]["name"] == "Durham"
    assert report.forces["lancashire"]["outcomes"]["months"] == ["2021-03", "2021-04"]
    assert report.total_rows == {"street": 0, "outcomes": 16, "stop_search": 15}
    assert report.missing_months_by_kind == {"street": {}, "outcomes": {}, "stop_search": {}}


def test_rejects_are_reported_per_file(store_path: Path) -> None:
    _store(store_path, street="partial")
    con = connect(store_path)
    con.execute("""INSERT INTO ingests VALUES (7, 'c', 'x/2020-01-lancashire-street.csv', 'h', 'street',
                   'lancashire', DATE '2020-01-01', 12, 10, 2, 0, 'loaded', now(), 'test')""")
    con.executemany(
        "INSERT INTO rejects VALUES (7, '2020-01-lancashire-street.csv', ?, ?, ?, NULL)",
        [[3, "Longitude", "not a number"], [9, None, "wrong number of fields"]],
    )
    con.close()
    report = _report(store_path)
    assert report.rejected_rows == {
        "total": 2,
        "by_file": {"2020-01-lancashire-street.csv": {
            "kind": "street", "rows": 2, "reasons": {"not a number": 1, "wrong number of fields": 1}}},
    }


def test_empty_store_says_nothing_is_loaded(store_path: Path) -> None:
    report = _report(_store(store_path))
    assert report.forces == {}
    assert report.missing_months == {}
    assert report.unlocated_rows["share"] is None
    assert report.warnings[0].message.startswith("No police.uk data is loaded")


def test_cli_json_has_the_issue_keys(store_path: Path) -> None:
    _store(store_path, street="multi-force", areas=True)
    result = CliRunner().invoke(app, ["--db", str(store_path), "quality", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("forces", "months", "missing_months", "unlocated_rows", "outside_area_rows",
                "duplicate_crime_ids", "no_lsoa_rows", "unresolved_lsoa_codes", "rejected_rows",
                "study_area_loaded", "warnings"):
        assert key in data
    assert data["missing_months"] == {"cumbria": ["2024-03", "2024-04"]}
    assert data["outside_area_rows"]["total"] == 153


def test_cli_table_shows_gaps_and_hints(store_path: Path) -> None:
    _store(store_path, street="partial")
    result = CliRunner().invoke(app, ["--db", str(store_path), "quality"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # Rich wraps at the console width fixed when it was created
    assert "2020-06 missing - a gap, not zero" in text
    assert "no study area loaded" in text
    assert "Hint:" in text


def test_cli_missing_store_is_a_tidy_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.duckdb"), "quality"])
    assert result.exit_code != 0
    assert result.exception is not None
    assert "does not exist yet" in str(result.exception)


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (["2024-03", "2024-04"], "2024-03, 2024-04"),
        (["2019-07", "2019-08", "2019-09", "2019-12"], "2019-07..2019-09 (3 months), 2019-12"),
        (["2019-12", "2020-01", "2020-02"], "2019-12..2020-02 (3 months)"),
    ],
)
def test_month_runs(months: list[str], expected: str) -> None:
    assert month_runs(months) == expected


@given(st.sets(st.integers(min_value=0, max_value=400), max_size=60))
def test_month_runs_lists_every_month_once(indices: set[int]) -> None:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in indices]
    text = month_runs(months)
    runs = [part for part in text.split(", ") if part]
    covered = 0
    for part in runs:
        if ".." in part:
            covered += int(part.split("(")[1].split()[0])
        else:
            covered += 1
    assert covered == len(months)


def test_store_built_by_the_police_uk_ingester(store_path: Path) -> None:
    """The same slices through the police.uk ingester (both folders in one command): same figures."""
    from safer_communities.ingest.runner import run_ingest

    ingest = run_ingest(store_path, "police-uk", [DATA / "multi-force", DATA / "partial"])
    assert (ingest.rows_loaded, ingest.rows_rejected) == (290 + 144, 0)
    con = connect(store_path)
    _load_areas(con)
    con.close()
    report = _report(store_path)
    assert report.total_rows["street"] == 434
    assert report.unlocated_rows["total"] == 40 + 23
    assert report.outside_area_rows is not None
    assert report.outside_area_rows["total"] == 153 + 13
    assert report.duplicate_crime_ids["within_month_ids"] == 3
    assert report.duplicate_crime_ids["across_months_ids"] == 2
    # One store now covers 2019-12 .. 2024-04: every force has a gap somewhere inside that range.
    assert report.missing_months["lancashire"][:2] == ["2020-06", "2020-08"]
    assert report.missing_months["cumbria"][-2:] == ["2024-03", "2024-04"]
    assert len(report.missing_months["city-of-london"]) == 49
    con = connect(store_path, read_only=True)
    try:  # the roll-ups (study-area codes read for the forces that have them) give the scan's report
        from safer_communities.analysis import quality_rollup

        assert quality_rollup.LSOA_TOTALS in quality_rollup.rollup_tables(con)
        assert report.to_dict() == quality_report(con, scan=True).to_dict()
    finally:
        con.close()


def test_quality_from_rollups_equals_the_full_scan_on_the_demo_store(force_area_store: Path) -> None:
    """`safer quality` reads the ingest's roll-ups; its report is the full scan's, field for field."""
    from safer_communities.analysis import quality_rollup

    con = connect(force_area_store, read_only=True)
    try:
        assert quality_rollup.available(con)
        assert quality_rollup.kind_available(con, "outcomes", "outcomes")  # the demo's outcomes too
        scanned = quality_report(con, scan=True).to_dict()
        rolled = quality_report(con).to_dict()
    finally:
        con.close()
    assert rolled == scanned
    assert rolled["unlocated_rows"]["total"] > 0 and rolled["no_lsoa_rows"]["total"] > 0
    assert rolled["outside_area_rows"]["total"] > 0


def test_rows_put_into_crimes_past_the_ingest_are_scanned(store_path: Path) -> None:
    """A store whose crimes no longer match its roll-ups (rows written directly) is scanned."""
    from safer_communities.analysis import quality_rollup

    _store(store_path, street="multi-force")
    con = connect(store_path, read_only=True)
    try:
        assert not quality_rollup.available(con)
        assert quality_report(con).total_rows["street"] == con.execute(
            "SELECT count(*) FROM crimes").fetchall()[0][0] > 0
    finally:
        con.close()


def test_the_cli_report_loads_no_numpy(force_area_store: Path) -> None:
    """`safer quality` answers from the roll-ups without importing numpy (a tenth of a second of its
    start): the unlocated-share rule is applied in plain Python (``unlocated_rule``)."""
    import subprocess
    import sys

    probe = ("import sys; from safer_communities.cli import main; sys.argv = ['safer', '--db', sys.argv[1], "
             "'quality', '--json']\ntry:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code\n"
             "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas'))\n"
             "print(heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, str(force_area_store)], capture_output=True,
                          text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert json.loads(done.stdout)["unlocated_by_type"]["by_crime_type"]["All crime types"]["rows"] > 0
