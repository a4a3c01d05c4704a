"""Issue 10 in the CLI, on the fixture store (three Lancashire districts, police.uk 2020-10..2022-10):
a gap is never a zero, every note travels with --json and --csv, comparisons are like with like.

Contains public sector information licensed under the Open Government Licence v3.0 (police.uk, ONS).
"""

from __future__ import annotations

import csv
import gzip
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
STREET = TESTS / "data" / "evidence" / "street"


def _build_store(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("evidence_fixture", TESTS / "analysis" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_store(path)


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-numbers") / "template.duckdb"
    _build_store(path)
    return path


@pytest.fixture
def db(_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copyfile(_template, path)
    monkeypatch.setenv("SAFER_DB", str(path))
    return path


def _json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["evidence", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _violence_by_month() -> dict[str, int]:
    """Violence rows per month in the raw slices, in the three districts' LSOAs (the boundary files)."""
    boundaries = sorted((TESTS / "data" / "evidence" / "boundaries").glob("*.json"))
    lsoas = {f["properties"]["LSOA11CD"] for path in boundaries
             for f in json.loads(path.read_text(encoding="utf-8"))["features"]}
    counts: dict[str, int] = {}
    for path in sorted(STREET.glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Crime type"] == "Violence and sexual offences" and row["LSOA code"] in lsoas:
                    counts[row["Month"]] = counts.get(row["Month"], 0) + 1
    return counts


def test_a_year_with_no_data_exits_2_with_what_found_hint(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["safer", "evidence", "rates", "--issue", "violence", "--period", "2019",
                                      "--json"])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.out == ""  # before: count 0, rate 0.0, exit 0
    assert "No data for this period" in captured.err and "gap, never a zero" in captured.err
    assert "Found: the store holds October 2020 to October 2022 (2020-10..2022-10)" in captured.err
    assert "Hint: Choose a period within 2020-10..2022-10" in captured.err


def test_json_carries_missing_months_and_every_note(db: Path) -> None:
    out = _json("rates", "--issue", "violence", "--area-level", "county", "--period", "2020")
    meta = out["meta"]
    assert meta["missing_months"] == [f"2020-{m:02d}-01" for m in range(1, 10)]
    assert any("9 of 12 months of 2020 are not in the store" in n for n in meta["notes"])
    by_month = _violence_by_month()
    assert out["records"][0]["count"] == sum(v for m, v in by_month.items() if m.startswith("2020"))


def test_csv_has_a_metadata_sidecar(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    # 2020 is only partly in the store, so it is off the publication grid: an analyst's internal file.
    result = CliRunner().invoke(app, ["evidence", "rates", "--issue", "violence", "--period", "2020",
                                      "--csv", str(path), "--internal"])
    assert result.exit_code == 0, result.output
    sidecar = json.loads(Path(f"{path}-metadata.json").read_text(encoding="utf-8"))
    assert sidecar["url"] == "rates.csv" and len(sidecar["meta"]["missing_months"]) == 9
    assert any("are gaps, not zeros" in n for n in sidecar["notes"])
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [c["name"] for c in sidecar["tableSchema"]["columns"]] == header


def test_deprivation_ratio_and_snapping_caveat_travel_with_json(db: Path) -> None:
    dep = _json("deprivation", "--issue", "violence", "--period", "2021")
    assert any(n.startswith("Rate ratio, decile") for n in dep["meta"]["notes"])
    hot = _json("hotspots", "--issue", "violence", "--method", "gistar", "--period", "2021",
                "--cell-size-m", "1000")
    assert any("snapped to anonymous map points" in n for n in hot["meta"]["notes"])


def test_compare_is_with_the_same_months_a_year_earlier(db: Path) -> None:
    out = _json("compare", "--issue", "violence", "--area-level", "county", "--period", "2021-11..2022-01")
    row = out["records"][0]
    assert (row["period"], row["previous_period"]) == ("2021-11..2022-01", "2020-11..2021-01")
    by_month = _violence_by_month()
    assert row["count"] == sum(by_month[m] for m in ("2021-11", "2021-12", "2022-01"))
    assert row["previous_count"] == sum(by_month[m] for m in ("2020-11", "2020-12", "2021-01"))
    before = _json("compare", "--issue", "violence", "--area-level", "county", "--period", "2021-11..2022-01",
                   "--against", "previous")["records"][0]
    assert before["previous_period"] == "2021-08..2021-10"


def test_compare_of_unequal_months_is_per_month(db: Path) -> None:
    """2021 (12 months) against 2020 (3 months in the store): +213%-style totals are per month now."""
    out = _json("compare", "--issue", "violence", "--area-level", "county", "--period", "2021")
    row = out["records"][0]
    assert (row["months"], row["previous_months"]) == (12, 3)
    assert row["change_pct"] == pytest.approx(100 * ((row["count"] / 12) / (row["previous_count"] / 3) - 1))
    assert abs(row["change_pct"]) < 50 < 100 * (row["count"] / row["previous_count"] - 1)
    assert any("different numbers of months (12 against 3)" in n for n in out["meta"]["notes"])


def test_a_trend_over_fewer_than_24_months_gives_no_direction(db: Path) -> None:
    out = _json("trends", "--issue", "asb", "--kind", "long-run", "--period", "2021-04..2022-03")
    assert {r["direction"] for r in out["records"]} == {"cannot separate trend from season"}
    assert any("cannot be separated from the seasonal pattern" in n for n in out["meta"]["notes"])
    longer = _json("trends", "--issue", "asb", "--kind", "long-run")  # 25 months: seasonal terms
    assert all(r["seasonal_terms"] for r in longer["records"])
    assert "cannot separate trend from season" not in {r["direction"] for r in longer["records"]}
