"""`safer evidence ...` on the fixture store: JSON keys, CSV, GeoPackage, and tidy errors (exit code 2)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer_communities.cli import app, main

TESTS = Path(__file__).resolve().parents[1]
RATE_KEYS = [
    "area_code",
    "area_name",
    "issue",
    "period",
    "count",
    "population",
    "population_year",
    "rate_per_1000",
    "ci_low",
    "ci_high",
]


def _build_store(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("evidence_fixture", TESTS / "analysis" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_store(path)


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-evidence") / "template.duckdb"
    _build_store(path)
    return path


@pytest.fixture
def db(_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copyfile(_template, path)
    monkeypatch.setenv("SAFER_DB", str(path))
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["evidence", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_rates_json_has_exactly_the_documented_keys(db: Path) -> None:
    records = json.loads(
        _run("rates", "--issue", "violence", "--area-level", "district", "--period", "2021", "--json")
    )["records"]
    assert [list(r) for r in records] == [RATE_KEYS] * 3
    rossendale = next(r for r in records if r["area_name"] == "Rossendale")
    assert (rossendale["count"], rossendale["population"], rossendale["population_year"]) == (
        2238,
        71432,
        2020,
    )


def test_rates_csv_to_stdout_and_gpkg(db: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    out = _run("rates", "--issue", "asb", "--area-level", "lsoa", "--period", "2021", "--csv", "-",
               "--internal")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 134 and list(rows[0]) == [*RATE_KEYS, "publication"]
    assert {r["publication"] for r in rows} == {"internal - not for publication"}
    gpkg = tmp_path / "asb.gpkg"
    _run("rates", "--issue", "asb", "--area-level", "district", "--period", "2021", "--gpkg", str(gpkg))
    layer = gpd.read_file(gpkg)
    assert len(layer) == 3 and layer.crs.to_epsg() == 27700 and layer["count"].sum() > 0


def test_exports_for_publication_come_from_the_grid(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --internal a file holds the grid's protected counts; an LSOA calendar year is refused."""
    from safer_communities.analysis.rates import issue_rates
    from safer_communities.store.evidence import connect

    issue = "serious-organised-crime"
    monkeypatch.setattr(sys, "argv", ["safer", "evidence", "rates", "--issue", issue, "--area-level", "lsoa",
                                      "--period", "2021", "--csv", "-"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2 and "financial years" in capsys.readouterr().err
    out = _run("rates", "--issue", issue, "--area-level", "district", "--period", "2021", "--csv", "-")
    rows = {r["area_code"]: r for r in csv.DictReader(io.StringIO(out))}
    con = connect(db, read_only=True)
    try:
        truth = issue_rates(con, issue, area_level="district", period="2021").set_index("area_code")
    finally:
        con.close()
    for code, row in rows.items():
        n = int(truth.loc[code, "count"])
        if 1 <= n <= 4:
            assert (row["count"], row["count_published"]) == ("", "<5")
        elif row["count_published"] != "[c]":
            assert float(row["count"]) == n and row["count_published"] == f"{n:,}"
    assert len(rows) == len(truth) == 3


@pytest.mark.parametrize(
    "args, keys",
    [
        (["trends", "--issue", "asb"], {"area_code", "area_name", "month", "count"}),
        (
            ["trends", "--issue", "asb", "--kind", "long-run", "--area-level", "district"],
            {"change_per_year_pct", "p_value", "direction"},
        ),
        (["compare", "--issue", "violence", "--area-level", "district"], {"rate_ratio", "ci_low", "p_value"}),
        (["harm", "--period", "2021"], {"harm_days", "harm_per_1000", "top_harm_crime_type"}),
        (["deprivation", "--issue", "violence", "--period", "2021"], {"decile", "rate_per_1000"}),
        (
            ["outcomes", "--issue", "violence", "--period", "2021-03..2022-02", "--summary"],
            {"no_suspect_share", "charged_share"},
        ),
        (["road-safety"], {"collisions", "rate_per_100000", "population_year"}),
        (["road-safety", "--times", "--severity", "all"], {"hour", "Monday", "Sunday"}),
        (["peers", "--issue", "violence", "--period", "2021"], {"flag", "limit_998_high", "expected"}),
        (["definitions"], {"issue", "version", "crime_types", "caveat"}),
        (["concentration", "--issue", "violence", "--period", "2021"], {"unit_share", "record_share"}),
        (
            [
                "hotspots",
                "--issue",
                "violence",
                "--method",
                "gistar",
                "--period",
                "2021",
                "--cell-size-m",
                "1000",
            ],
            {"cell_id", "gistar_z", "class"},
        ),
    ],
)
def test_every_command_prints_json_records(db: Path, args: list[str], keys: set[str]) -> None:
    records = json.loads(_run(*args, "--json"))["records"]
    assert records and keys <= set(records[0])


def test_hotspots_gpkg_has_every_cell(db: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    gpkg = tmp_path / "kde.gpkg"
    _run(
        "hotspots",
        "--issue",
        "violence",
        "--method",
        "kde",
        "--period",
        "2021",
        "--cell-size-m",
        "1000",
        "--gpkg",
        str(gpkg),
        "--quiet",
        "--internal",  # the surface of the located records: an analyst's own file (issue 11)
    )
    layer = gpd.read_file(gpkg)
    assert layer.crs.to_epsg() == 27700 and (layer["kde"] >= 0).all() and (layer["count"] == 0).any()
    assert (layer["publicatio"] == "internal - not for publication").all()  # 10-character field names


def test_table_output_shows_definition_and_caveats(db: Path) -> None:
    result = CliRunner().invoke(app, ["evidence", "rates", "--issue", "serious-violence", "--period", "2021"])
    assert result.exit_code == 0
    assert "Fylde" in result.stdout and "Proxy" in result.stderr and "version 2025.1" in result.stderr


def test_near_repeat_on_partner_dates(db: Path) -> None:
    pytest.importorskip("safer_communities.analysis.nearrepeat")
    records = json.loads(
        _run(
            "near-repeat", str(TESTS / "data" / "near-repeat" / "chicago_arson.csv"), "--seed", "1", "--json"
        )
    )["records"]
    close = next(
        r for r in records if r["calculator_distance"] == "1 to 200" and r["calculator_time"] == "0 to 1"
    )
    assert close["observed"] == 9


@pytest.mark.parametrize(
    "args, message",
    [
        (["rates", "--issue", "domestic-abuse"], "No data source loaded for domestic abuse"),
        (["rates", "--issue", "violence", "--period", "2021-13"], "not a real month"),
        (["outcomes", "--issue", "asb"], "Anti-social behaviour has no outcomes"),
        (["rates", "--issue", "knife-crime"], "no definition"),
    ],
)
def test_errors_are_one_tidy_message_and_exit_code_2(
    db: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["safer", "evidence", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_narrow_terminal_never_cuts_a_number_and_long_results_are_summarised(db: Path) -> None:
    import re

    result = CliRunner().invoke(app, ["evidence", "rates", "--issue", "violence", "--period", "2021"],
                                env={"COLUMNS": "60"}, catch_exceptions=False)
    assert result.exit_code == 0 and "…" not in result.stdout
    records = json.loads(_run("rates", "--issue", "violence", "--period", "2021", "--json"))["records"]
    printed = set(re.findall(r"\d[\d,]*\.?\d*", result.stdout))
    assert any(f"{r['count']:,}" in printed for r in records)
    long = CliRunner().invoke(app, ["evidence", "hotspots", "--issue", "violence", "--period", "2021",
                                    "--method", "count", "--quiet"], catch_exceptions=False)
    assert long.exit_code == 0
    assert "Showing the first 25 of" in long.stderr and "--csv" in long.stderr
