"""`safer strategy load | status | report` end to end on the real slices, as an officer runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from strategy_helpers import EXAMPLE, minimal
from typer.testing import CliRunner

from safer_communities.cli import app

RUNNER = CliRunner()


def safer(store: Path, app_db: str, *args: str):
    return RUNNER.invoke(app, ["--db", str(store), "--app-db", app_db, *args], env={"COLUMNS": "200"})


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def loaded(store_file: Path, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert safer(store_file, url, "framework", "load").exit_code == 0
    run = safer(store_file, url, "strategy", "load", str(EXAMPLE), "--by", "Officer")
    assert run.exit_code == 0, run.output
    out = flat(run.output)
    assert "Loaded 2 strategy(ies)" in out and "7 indicators" in out
    assert "No baseline from the evidence for: example-community-safety-agreement/domestic-abuse-crimes" \
        in out
    return url


def test_status_table_and_json(store_file, loaded):
    run = safer(store_file, loaded, "strategy", "status", "--today", "2022-04-15")
    assert run.exit_code == 0, run.output
    out = flat(run.output)
    assert "ILLUSTRATIVE EXAMPLE, not an adopted strategy" in out and "no data" in out
    assert "No owner community-trigger-review" in out
    assert "Required consultation not recorded: no consultation with a prisons authority" in out
    run = safer(store_file, loaded, "strategy", "status", "--json", "--today", "2022-04-15",
                "--strategy", "example-serious-violence-strategy")
    [item] = json.loads(run.stdout)
    assert item["id"] == "example-serious-violence-strategy" and item["today"] == "2022-04-15"
    assert sum(item["ratings"].values()) == 3 and item["ratings"]["no data"] == 0
    assert [a["action_id"] for a in item["overdue_actions"]] == ["youth-diversion-expansion"]
    assert {i["indicator_id"] for i in item["indicators"]} == {
        "serious-violence-count-county", "serious-violence-harm-county", "serious-violence-rate-rossendale"}


def test_bad_today_is_an_input_error(store_file, loaded):
    run = safer(store_file, loaded, "strategy", "status", "--today", "15/04/2022")
    assert run.exit_code != 0 and "--today is not a date" in str(run.exception)


def test_report_writes_every_format_through_disclosure_control(store_file, loaded, tmp_path):
    out = tmp_path / "report"
    run = safer(store_file, loaded, "strategy", "report", "--out", str(out), "--today", "2022-04-15")
    assert run.exit_code == 0, run.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Strategy progress report" in html and "Illustrative example: not an adopted strategy" in html
    assert "Required consultation not recorded" in html and "Why there is no rating" in html
    assert (out / "report.pdf").read_bytes()[:4] == b"%PDF"
    with zipfile.ZipFile(out / "report.docx") as docx:
        assert "Strategy progress report" in docx.read("word/document.xml").decode("utf-8")
    assert (out / "tables.xlsx").is_file()
    counts = (out / "tables" / "example-serious-violence-strategy-count.csv").read_text(encoding="utf-8")
    header, row = list(csv.reader(counts.splitlines()))[:2]
    # Tidy CSV: plain numbers, ISO 8601 intervals, and a marker column beside a withheld value.
    assert header == ["Indicator", "Baseline period", "Baseline", "Current period", "Current", "Expected now",
                      "Expected now marker", "Target", "Rating"]
    run = safer(store_file, loaded, "strategy", "status", "--json", "--today", "2022-04-15")
    [county] = [i for s in json.loads(run.stdout) for i in s["indicators"]
                if i["indicator_id"] == "serious-violence-count-county"]
    assert row[1:5] == ["2021-04/2021-09", str(county["baseline_records"]), "2022-05/2022-10",
                        str(county["current_records"])]  # the latest 6 months of the slice
    assert row[-1] == county["rating"].upper()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"] == "strategy progress report" and manifest["status_date"] == "2022-04-15"
    assert {o["path"] for o in manifest["outputs"]} >= {"index.html", "report.pdf", "report.docx",
                                                         "tables.xlsx"}


def test_small_counts_are_suppressed_in_the_report(store_file, tmp_path, write):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    safer(store_file, url, "framework", "load")
    data = minimal()
    # Possession of weapons in Ribble Valley in one month: a small real count
    data["strategies"][0]["objectives"][0]["indicators"][0].update(
        issue="serious-organised-crime", area="E07000124", period_rule="rolling-1-months",
        baseline_period="2021-04")
    assert safer(store_file, url, "strategy", "load", str(write(data))).exit_code == 0
    status = json.loads(safer(store_file, url, "strategy", "status", "--json").stdout)
    [indicator] = status[0]["indicators"]
    run = safer(store_file, url, "strategy", "report", "--out", str(tmp_path / "r"), "--formats", "tables")
    assert run.exit_code == 0, run.output
    row = (tmp_path / "r" / "tables" / "test-plan-count.csv").read_text(encoding="utf-8").splitlines()[1]
    for records in (indicator["baseline_records"], indicator["current_records"]):
        if 1 <= records <= 4:
            assert "<5" in row and f",{records}," not in row
    assert 1 <= min(indicator["baseline_records"], indicator["current_records"]) <= 4  # the case is exercised


def test_bad_file_exits_2_with_entry_and_field(store_file, tmp_path, write):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    safer(store_file, url, "framework", "load")
    data = minimal()
    data["strategies"][0]["objectives"][0]["actions"][0]["owner"] = "parks-department"
    proc = subprocess.run(
        [sys.executable, "-c", "from safer_communities.cli import main; main()", "--db", str(store_file),
         "--app-db", url, "strategy", "load", str(write(data))],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}, check=False)
    assert proc.returncode == 2, proc.stderr
    err = flat(proc.stderr)
    assert "nothing was loaded" in err
    assert "strategy test-plan > objective violence > action hubs: owner: 'parks-department'" in err


def test_framework_show_issue_lists_the_strategy_objectives_and_actions(store_file, loaded):
    """issue -> evidence -> services -> actions in one place."""
    run = safer(store_file, loaded, "framework", "show", "issue", "violence")
    assert run.exit_code == 0, run.output
    out = flat(run.output)
    assert "evidence_definitions: violence" in out
    assert "strategy objectives and actions" in out
    assert "Reduce violence across Lancashire" in out
    assert "Early help for families where violence is a risk (children-and-family-wellbeing;" in out
    run = safer(store_file, loaded, "framework", "show", "issue", "violence", "--json")
    titles = [item["objective"] for item in json.loads(run.stdout)["strategy"]]
    assert "Reduce violence across Lancashire" in titles
    # An issue no strategy names says so rather than printing nothing.
    run = safer(store_file, loaded, "framework", "show", "issue", "counter-terrorism")
    assert "strategy objectives and actions none: no loaded strategy has an objective for this issue" \
        in flat(run.output)
