"""`safer framework ...` end to end, as an officer would run it (exit codes included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from framework_helpers import Editor, entry
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.errors import PermissionDeniedError
from safer_communities.framework.loader import shipped_path
from safer_communities.framework.model import KINDS

RUNNER = CliRunner()


def safer(app_db_url: str, *args: str):
    return RUNNER.invoke(app, ["--app-db", app_db_url, *args], env={"COLUMNS": "200"})


def test_cli_workflow(app_db_url: str, tmp_path: Path) -> None:
    run = safer(app_db_url, "framework", "load", "--by", "Loader")
    assert run.exit_code == 0, run.output
    assert "Published version 1: 77 entries" in run.output

    run = safer(app_db_url, "framework", "show", "issue", "domestic-abuse")
    assert run.exit_code == 0 and "Domestic abuse (issues 'domestic-abuse', version 1)" in run.output
    assert "enforcement: none" in run.output and "Freedom programme" in run.output

    run = safer(app_db_url, "framework", "check", "--json")
    assert run.exit_code == 1
    report = json.loads(run.stdout)
    # Issue 12 adds the sharing register's findings (every specified authority lacks an agreement here).
    sharing = [f for f in report["findings"] if f["code"] == "specified-authority-no-agreement"]
    assert len(report["findings"]) - len(sharing) == 14 and len(report["known_gaps"]) == 3
    assert len(sharing) == 5

    run = safer(app_db_url, "framework", "export", "--format", "yaml", "--out", str(tmp_path / "out"))
    assert run.exit_code == 0
    for kind in KINDS:
        exported = (tmp_path / "out" / f"{kind}.yaml").read_bytes()
        assert exported == (shipped_path() / f"{kind}.yaml").read_bytes()

    run = safer(app_db_url, "framework", "propose", "duty", "road-safety-duty", "--by", "Analyst",
                "--why", "Quarterly review of collisions.", "--set", "review_cadence=quarterly")
    assert run.exit_code == 0 and "Proposed amendment 1" in run.output
    run = safer(app_db_url, "framework", "approve", "1", "--by", "Analyst")
    assert isinstance(run.exception, PermissionDeniedError)
    assert safer(app_db_url, "framework", "grant", "Director").exit_code == 0
    run = safer(app_db_url, "framework", "approve", "1", "--by", "Director")
    assert run.exit_code == 0 and "published version 2" in run.output
    run = safer(app_db_url, "framework", "history")
    assert "-  review_cadence: annual" in run.output and "+  review_cadence: quarterly" in run.output
    assert "Amendment 1 [approved] proposed by Analyst" in run.output
    run = safer(app_db_url, "framework", "versions", "--json")
    assert [v["number"] for v in json.loads(run.stdout)] == [1, 2]

    run = safer(app_db_url, "framework", "matrix", "--format", "xlsx", "--out", str(tmp_path / "m.xlsx"))
    assert run.exit_code == 0 and (tmp_path / "m.xlsx").stat().st_size > 0
    run = safer(app_db_url, "framework", "matrix", "--which", "duties-evidence")
    assert run.stdout.startswith("duty,legislation,lead_service,review_cadence,evidence_items")


def test_cli_refuses_a_broken_folder_with_exit_code_2(app_db_url: str, register_dir: Path,
                                                      edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "freedom-programme").update(approaches=["punishment"]))
    code = "from safer_communities.cli import main; main()"
    run = subprocess.run([sys.executable, "-c", code, "--app-db", app_db_url, "framework", "load",
                          str(register_dir), "--by", "Loader"], capture_output=True, text=True,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert run.returncode == 2
    assert "activities.yaml: entry 'freedom-programme', field 'approaches.0'" in run.stderr
    assert "nothing was loaded" in run.stderr
    run = safer(app_db_url, "framework", "versions", "--json")
    assert json.loads(run.stdout) == []
