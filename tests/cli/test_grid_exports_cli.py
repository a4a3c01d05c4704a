"""Issue 11: the CLI files meant for publication (harm, deprivation, outcomes, peers, concentration, the
KDE surface) come from the publication grid. Each is checked against the raw police.uk files (a small
true count never appears) and recomputed here from the published LSOA file alone (so the derived figure
tells a reader nothing the published table does not). --internal writes the true figures, marked.

Store: the real slices in tests/data/evidence (Fylde, Ribble Valley, Rossendale; 2020-10..2022-10).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.publish.grid import OffGridError

TESTS = Path(__file__).resolve().parents[1]
EVIDENCE = TESTS / "data" / "evidence"
ISSUE = "serious-organised-crime"
TYPES = {"Drugs", "Possession of weapons"}
FY = "2021-04..2022-03"
MONTHS = {f"2021-{m:02d}" for m in range(4, 13)} | {f"2022-{m:02d}" for m in range(1, 4)}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("evidence_fixture", TESTS / "analysis" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("grid-exports") / "store.duckdb"
    module.build_store(path)
    return path


@pytest.fixture
def db(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copyfile(store, path)
    monkeypatch.setenv("SAFER_DB", str(path))
    return path


def _csv(tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / f"{args[0]}.csv"
    result = CliRunner().invoke(app, ["evidence", *args, "--csv", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _refused(*args: str) -> str:
    """Run ``safer evidence ARGS`` as the console script does: a refusal is exit code 2 and one message."""
    runner = CliRunner()
    result = runner.invoke(app, ["evidence", *args])
    assert isinstance(result.exception, OffGridError), result.output
    assert result.exception.code == "off_grid"
    return " ".join(str(result.exception.what).split())


def _raw_lsoa_counts() -> dict[str, int]:
    """Serious organised crime (drugs, weapons) per LSOA in the financial year, from the police.uk files."""
    counts: dict[str, int] = {}
    for path in sorted((EVIDENCE / "street").glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Month"] in MONTHS and row["Crime type"] in TYPES and row["LSOA code"]:
                    counts[row["LSOA code"]] = counts.get(row["LSOA code"], 0) + 1
    return counts


def _stand_ins(published: list[dict[str, str]], districts: dict[str, float | None]) -> dict[str, float]:
    """The published LSOA file read as a reader would: a number is itself, <5 is 2.5, [c] its district's
    unexplained remainder shared among its [c] cells (at least 5; 5 where the district is withheld too).
    ``districts``: published totals (None where withheld)."""
    parent = {r["area_code"]: r["district"] for r in published}
    out: dict[str, float] = {}
    for district, total in districts.items():
        rows = [r for r in published if parent[r["area_code"]] == district]
        shown = sum(float(r["count"]) for r in rows if r["count"])
        small = [r for r in rows if r["count_published"] == "<5"]
        secondary = [r for r in rows if r["count_published"] == "[c]"]
        share = 5.0 if total is None or not secondary else max(
            5.0, (total - shown - 2.5 * len(small)) / len(secondary))
        for r in rows:
            out[r["area_code"]] = (float(r["count"]) if r["count"] else 2.5 if r["count_published"] == "<5"
                                   else share)
    return out


@pytest.fixture
def published_lsoas(db: Path, tmp_path: Path) -> tuple[list[dict[str, str]], dict[str, float]]:
    """The published LSOA file (what a reader holds) with each LSOA's district, and the districts'
    published totals."""
    import duckdb

    lsoas = _csv(tmp_path, "rates", "--issue", ISSUE, "--area-level", "lsoa", "--period", FY)
    districts = _csv(tmp_path, "rates", "--issue", ISSUE, "--area-level", "district", "--period", FY)
    con = duckdb.connect(str(db), read_only=True)
    try:
        parent = dict(con.execute("SELECT lsoa_code, district_code FROM areas").fetchall())
    finally:
        con.close()
    for row in lsoas:
        row["district"] = parent[row["area_code"]]
    return lsoas, {d["area_code"]: float(d["count"]) if d["count"] else None for d in districts}


def test_harm_file_withholds_small_counts_and_their_harm(db: Path, tmp_path: Path) -> None:
    raw = _raw_lsoa_counts()
    rows = _csv(tmp_path, "harm", "--issue", ISSUE, "--area-level", "lsoa", "--period", FY)
    small = [r for r in rows if 1 <= raw.get(r["area_code"], 0) <= 4]
    assert len(small) > 20  # the issue where it matters
    for row in rows:
        n = raw.get(row["area_code"], 0)
        if row["count"]:
            assert int(float(row["count"])) == n and row["count_published"] == f"{n:,}"
        else:
            assert row["count_published"] in ("<5", "[c]") and not row["harm_days"]
            assert row["harm_days_published"] in ("[c]", "[u]") and not row["top_harm_crime_type"]
    assert not any(1 <= int(float(r["count"])) <= 4 for r in rows if r["count"])


def test_deprivation_file_is_a_function_of_the_published_lsoa_file(
        db: Path, tmp_path: Path, published_lsoas: tuple) -> None:
    lsoas, districts = published_lsoas
    stand_in = _stand_ins(lsoas, districts)
    with (EVIDENCE / "imd2019.csv").open(encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        code_col = next(c for c in reader.fieldnames or [] if "LSOA code" in c)
        decile_col = next(c for c in reader.fieldnames or [] if "Decile" in c and "Index of Multiple" in c)
        decile = {r[code_col]: int(r[decile_col]) for r in reader}
    expected: dict[int, float] = {}
    for code, value in stand_in.items():
        expected[decile[code]] = expected.get(decile[code], 0.0) + value
    rows = _csv(tmp_path, "deprivation", "--issue", ISSUE, "--period", FY)
    assert {int(r["decile"]): int(r["count"]) for r in rows} == {k: round(v) for k, v in expected.items()}
    raw = _raw_lsoa_counts()
    true = {}
    for code, n in raw.items():
        if code in decile:
            true[decile[code]] = true.get(decile[code], 0) + n
    # the true sums are not what is published
    assert true != {int(r["decile"]): int(r["count"]) for r in rows}


def test_concentration_file_is_a_function_of_the_published_lsoa_file(
        db: Path, tmp_path: Path, published_lsoas: tuple) -> None:
    lsoas, districts = published_lsoas
    values = np.sort(np.array(list(_stand_ins(lsoas, districts).values())))[::-1]
    rows = _csv(tmp_path, "concentration", "--issue", ISSUE, "--period", FY)
    for row in rows:
        units = int(row["units"])
        assert units == max(1, round(float(row["unit_share"]) * values.size))
        assert float(row["records"]) == round(values[:units].sum())
        assert float(row["record_share"]) == pytest.approx(values[:units].sum() / values.sum(), abs=1e-9)
    refused = _refused("concentration", "--issue", ISSUE, "--period", FY, "--unit", "cell", "--csv",
                       str(tmp_path / "cells.csv"))
    assert "Only LSOA concentration" in refused and not (tmp_path / "cells.csv").exists()


def test_outcomes_file_is_protected_for_the_county_and_districts_together(db: Path, tmp_path: Path) -> None:
    districts = _csv(tmp_path, "outcomes", "--issue", ISSUE, "--period", FY, "--area-level", "district")
    county = _csv(tmp_path, "outcomes", "--issue", ISSUE, "--period", FY, "--area-level", "county")
    assert len({r["area_code"] for r in county}) == 1 and len({r["area_code"] for r in districts}) == 3
    cells = [*districts, *county]
    assert all(r["crimes_published"] in ("<5", "[c]") for r in cells if not r["crimes"])
    assert not any(1 <= float(r["crimes"]) <= 4 for r in cells if r["crimes"])
    # Every outcome: the county is the sum of the districts, and one withheld part never stands alone.
    for outcome in {r["outcome"] for r in county}:
        parts = [r for r in districts if r["outcome"] == outcome]
        total = next(r for r in county if r["outcome"] == outcome)
        hidden = [r for r in [*parts, total] if not r["crimes"]]
        assert len(hidden) != 1, outcome
        if not hidden:
            assert float(total["crimes"]) == sum(float(r["crimes"]) for r in parts)
    assert any(r["crimes_published"] == "<5" for r in cells)


def test_peers_file_uses_published_counts(db: Path, tmp_path: Path) -> None:
    rows = _csv(tmp_path, "peers", "--issue", ISSUE, "--period", FY, "--area-level", "lsoa")
    raw = _raw_lsoa_counts()
    for row in rows:
        if not row["count"]:
            assert row["count_published"] in ("<5", "[c]")
            assert not row["rate_per_1000"] and not row["flag"] and not row["excess"]
        else:
            assert int(float(row["count"])) == raw.get(row["area_code"], 0)
    assert any(not r["count"] for r in rows)
    assert {r["flag"] for r in rows if r["count"]} <= {"above", "below", "within"}


def test_kde_file_is_the_density_of_the_published_lsoa_counts(
        db: Path, tmp_path: Path, published_lsoas: tuple) -> None:
    import duckdb
    import pandas as pd
    from shapely import wkb

    from safer_communities.analysis.hotspots import hotspot_kde
    from safer_communities.analysis.results import boundary

    lsoas, districts = published_lsoas
    stand_in = _stand_ins(lsoas, districts)
    rows = _csv(tmp_path, "hotspots", "--issue", ISSUE, "--method", "kde", "--period", FY,
                "--cell-size-m", "500", "--bandwidth-m", "1000", "--quiet")
    con = duckdb.connect(str(db), read_only=True)
    try:
        shapes = con.execute(
            "SELECT area_code, geometry FROM area_boundaries WHERE area_level = 'lsoa'").fetchall()
        where = {code: wkb.loads(bytes(g)).representative_point() for code, g in shapes}
        codes = list(stand_in)
        points = pd.DataFrame({"easting": [where[c].x for c in codes],
                               "northing": [where[c].y for c in codes]})
        expected = hotspot_kde(points, cell_size_m=500, bandwidth_m=1000, quiet=True,
                               weights=np.array([stand_in[c] for c in codes]), boundary=boundary(con))
    finally:
        con.close()
    got = {int(r["cell_id"]): float(r["kde"]) for r in rows}
    want = expected.set_index("cell_id")["kde"]
    assert got and all(v == pytest.approx(want.loc[k], rel=1e-9) for k, v in got.items())
    assert "count" not in rows[0]
    refused = _refused("hotspots", "--issue", ISSUE, "--method", "count", "--period", FY, "--csv",
                       str(tmp_path / "count.csv"))
    assert "not on the publication grid" in refused and not (tmp_path / "count.csv").exists()


def test_internal_files_hold_true_counts_marked(db: Path, tmp_path: Path) -> None:
    raw = _raw_lsoa_counts()
    rows = _csv(tmp_path, "harm", "--issue", ISSUE, "--area-level", "lsoa", "--period", FY, "--internal")
    assert all(r["publication"] == "internal - not for publication" for r in rows)
    assert {r["area_code"]: int(r["count"]) for r in rows if int(r["count"])} == {
        k: v for k, v in raw.items() if k in {r["area_code"] for r in rows}}
    off = _refused("deprivation", "--issue", ISSUE, "--period", "2021-05..2022-04", "--csv",
                   str(tmp_path / "off.csv"))
    assert "financial years" in off


@pytest.mark.parametrize("issue", [ISSUE, "violence"])
def test_compare_file_withholds_a_row_whose_count_is_withheld_in_either_period(
        db: Path, tmp_path: Path, issue: str) -> None:
    now, before = "2022-04..2022-06", "2021-04..2021-06"
    rows = _csv(tmp_path, "compare", "--issue", issue, "--area-level", "district", "--period", now)
    published = {}
    for period in (now, before):
        for row in _csv(tmp_path, "rates", "--issue", issue, "--area-level", "district", "--period", period):
            published[(row["area_code"], period)] = row["count"]
    for row in rows:  # one pattern: the comparison shows a row only where the rates file shows both counts
        shown = bool(published[(row["area_code"], now)] and published[(row["area_code"], before)])
        assert row["withheld"] == str(not shown)
        if shown:
            assert row["count"] == published[(row["area_code"], now)].removesuffix(".0")
        else:
            assert not row["count"] and not row["previous_count"] and not row["rate_ratio"]
    off = _refused("compare", "--issue", issue, "--area-level", "district", "--period", "2022-04..2022-09",
                   "--csv", str(tmp_path / "off.csv"))
    assert "not on the publication grid" in off


def test_forecast_files_hold_ranks_not_cell_counts(db: Path, tmp_path: Path) -> None:
    """A naive model's score is a cell's count of records (1 to 4 in most cells): files hold the flagged
    cells and their rank only; --internal adds the scores, marked."""
    import geopandas as gpd

    gpkg = tmp_path / "forecast.gpkg"
    rows = _csv(tmp_path, "forecast", "--issue", "violence", "--cells", "--quiet", "--gpkg", str(gpkg))
    assert rows and "score" not in rows[0] and {"rank", "cell_id"} <= set(rows[0])
    layer = gpd.read_file(gpkg)
    assert "score" not in layer.columns and len(layer) == len(rows)
    internal = _csv(tmp_path, "forecast", "--issue", "violence", "--cells", "--quiet", "--internal")
    assert "score" in internal[0]
    assert {r["publication"] for r in internal} == {"internal - not for publication"}
