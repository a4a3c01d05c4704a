"""Issue 16 item 5: each analysis computed once per run, and the caching changes nothing a reader sees.

- ``analysis.run_cache``: one answer per distinct call inside a run, never one area's answer for another,
  copies so a caller cannot change the next caller's answer, errors raised again, nothing cached outside.
- The partner summary computed once per report gives each area exactly the rows ``indicator_summary`` gives
  for that area and issue (real partner slices in tests/data/partner).
- The report's published tables are the same with every new cache switched off, and the same for a
  district built alone as for that district built in a seeded two-worker ``--all-districts`` run.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
import pytest

from safer_communities.analysis import queries
from safer_communities.analysis.partner_indicators import indicator_summary, study_areas
from safer_communities.analysis.run_cache import per_run, run_cache
from safer_communities.config import Settings
from safer_communities.errors import NoDataError
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.store.evidence import connect, transaction

PARTNER_DATA = Path(__file__).resolve().parents[1] / "data" / "partner"


def test_per_run_answers_each_distinct_call_once_and_never_another_areas() -> None:
    calls: list[tuple] = []

    @per_run
    def lookup(con: object, area: str, *, level: str = "district") -> pd.DataFrame:
        calls.append((area, level))
        if area == "missing":
            raise NoDataError("No such area.", found=area)
        return pd.DataFrame({"area": [area], "level": [level]})

    con = object()
    lookup(con, "E07000125")
    lookup(con, "E07000125")
    assert len(calls) == 2  # outside a run: computed every time
    with run_cache():
        first = lookup(con, "E07000125")
        first.loc[0, "area"] = "changed by the caller"
        again = lookup(con, "E07000125")
        other = lookup(con, "E07000119")
        county = lookup(con, "E07000125", level="county")
        for _ in range(2):
            with pytest.raises(NoDataError):
                lookup(con, "missing")
        with run_cache():  # a nested block shares the run's answers
            lookup(con, "E07000119")
    assert again.loc[0, "area"] == "E07000125"  # the caller's change did not reach the cache
    assert other.loc[0, "area"] == "E07000119"
    assert county.loc[0, "level"] == "county"
    assert calls[2:] == [("E07000125", "district"), ("E07000119", "district"), ("E07000125", "county"),
                         ("missing", "district")]
    lookup(con, "E07000119")  # the run is over: computed again
    assert calls[-1] == ("E07000119", "district")


def test_cached_store_lookups_give_each_area_its_own_units(report_store: Path) -> None:
    con = connect(report_store, read_only=True)
    try:
        districts = queries.area_list(con, "district")["area_code"].tolist()
        expected = {code: queries.units_within(con, "lsoa", code) for code in districts}
        with run_cache():
            for _ in range(2):
                for code in districts:
                    assert queries.units_within(con, "lsoa", code) == expected[code]
            assert queries.area_list(con, "district")["area_code"].tolist() == districts
    finally:
        con.close()
    assert len({tuple(v) for v in expected.values()}) == len(districts) >= 3


@pytest.fixture(scope="module")
def partner_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partner-run") / "store.duckdb"
    con = connect(path)
    with transaction(con):
        ingest_indicators(con, [PARTNER_DATA])
        # Two LSOAs in two districts of Lancashire, so the study area, its districts and force are known.
        con.execute(
            "INSERT INTO areas VALUES ('E01012667', 'Blackpool 001A', 2011, 'E01012667', 'E06000009', "
            "'Blackpool', 'E06000009', 'Blackpool', 'E10000017', 'Lancashire'), "
            "('E01012298', 'Blackburn with Darwen 001A', 2011, 'E01012298', 'E06000008', "
            "'Blackburn with Darwen', 'E06000008', 'Blackburn with Darwen', 'E10000017', 'Lancashire')"
        )
    con.close()
    return path


def test_partner_summary_once_per_run_gives_each_area_and_issue_the_same_table(
        partner_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every partner table of the county and of each district, from the run's one summary, equals the
    table built from ``indicator_summary`` asked for that area and issue alone (the code before)."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.publish import sna_partners, sna_shared
    from safer_communities.publish.sna_context import Context, Shared

    con = connect(partner_store, read_only=True)
    try:
        issues = sorted({i for text in con.execute("SELECT issues FROM indicators WHERE issues IS NOT NULL")
                         .fetchall() for i in text[0].split(" ")})
        shared = Shared(con=con, settings=Settings(), definitions=resolve(None), period=None,  # type: ignore[arg-type]
                        county_code="E10000017", county_name="Lancashire",
                        districts=pd.DataFrame({"area_code": ["E06000008", "E06000009"]}))
        places = (("county", "E10000017"), ("district", "E06000009"), ("district", "E06000008"))
        contexts = [Context(shared=shared, area_code=code, area_name=code, area_level=level,
                            out_dir=Path(".")) for level, code in places]
        ours = {(c.area_code, i): sna_partners._partner_table(c, i) for c in contexts for i in issues}
        summaries = [k for k in shared.cache if k[0] == "partner_summary"]
        assert len(summaries) == len(contexts)  # one summary per report area, not one per issue

        def alone(ctx: Context, issue: str) -> pd.DataFrame:
            areas = study_areas(con) if ctx.is_county else [ctx.area_code]
            return indicator_summary(con, areas, issue=issue, linked_only=True)

        monkeypatch.setattr(sna_shared, "partner_summary", alone)
        rows = 0
        for c in contexts:
            for issue in issues:
                before = sna_partners._partner_table(c, issue)
                mine = ours[(c.area_code, issue)]
                assert [(t.title, t.headers, t.rows, t.notes) for t in mine] == \
                    [(t.title, t.headers, t.rows, t.notes) for t in before], (c.area_code, issue)
                rows += sum(len(t.rows) for t in before)
        county_rows = sum(len(t.rows) for i in issues for t in ours[("E10000017", i)])
        district_rows = sum(len(t.rows) for i in issues for t in ours[("E06000009", i)])
    finally:
        con.close()
    assert len(issues) >= 5 and rows > 50
    assert 0 < district_rows < county_rows  # a district gets its own (and its force's) rows, not the county's


def _csvs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


@pytest.mark.slow
def test_report_tables_are_the_same_with_every_new_cache_switched_off(
        report_store: Path, built_reports: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from safer_communities.publish import sna, sna_shared
    from safer_communities.publish.sna import build_needs_assessment

    def uncached(ctx: object, issue: str) -> pd.DataFrame:
        areas = study_areas(ctx.con) if ctx.is_county else [ctx.area_code]  # type: ignore[attr-defined]
        return indicator_summary(ctx.con, areas, issue=issue, linked_only=True)  # type: ignore[attr-defined]

    monkeypatch.setattr(sna, "run_cache", contextlib.nullcontext)
    monkeypatch.setattr(sna_shared, "partner_summary", uncached)
    con = connect(report_store, read_only=True)
    try:
        build_needs_assessment(con, Settings(), out_dir=tmp_path, formats=("tables",))
    finally:
        con.close()
    cached = _csvs(built_reports["county"])
    assert len(cached) >= 10
    assert _csvs(tmp_path) == cached


@pytest.mark.slow
def test_seeded_parallel_run_gives_each_area_the_tables_it_gets_alone(
        report_store: Path, built_reports: dict[str, Path], tmp_path: Path) -> None:
    from safer_communities.publish.sna import build_needs_assessment

    con = connect(report_store, read_only=True)
    try:
        folders = build_needs_assessment(con, Settings(), out_dir=tmp_path, all_districts=True,
                                         formats=("tables",), workers=2)
    finally:
        con.close()
    by_code = {f.name.split("-")[0]: f for f in folders}
    assert _csvs(by_code["E23000003"]) == _csvs(built_reports["county"])
    rossendale = _csvs(by_code["E07000125"])
    assert rossendale == _csvs(built_reports["district"])
    for code, folder in by_code.items():  # each report is of its own area
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["area"]["code"] == code
