"""`safer framework ...` end to end, as an officer would run it (exit codes included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
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
    assert "Published version 1: 82 entries" in run.output

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

    from safer_communities.store.app_db import open_app_db
    from safer_communities.web import accounts, audit

    engine = open_app_db(app_db_url)
    accounts.add_user(engine, "Analyst", roles=["editor"], password=None, by="tests")
    accounts.add_user(engine, "Admin", roles=["admin"], password=None, by="tests")
    run = safer(app_db_url, "framework", "propose", "duty", "road-safety-duty", "--by", "Nobody",
                "--why", "Quarterly review of collisions.", "--set", "review_cadence=quarterly")
    assert isinstance(run.exception, PermissionDeniedError)  # --by/--as is a user account, checked
    run = safer(app_db_url, "framework", "propose", "issue", "asb", "--as", "Analyst",
                "--why", "Clearer wording.", "--set", "description=ASB, as residents see it")
    assert run.exit_code == 0 and "Proposed amendment 1" in run.output, run.output
    assert "minor: the delegation applies. Rule: Any other change (minor)" in run.output
    run = safer(app_db_url, "framework", "propose", "duty", "road-safety-duty", "--as", "Analyst",
                "--why", "Quarterly review of collisions.", "--set", "review_cadence=quarterly")
    assert "Route: Cabinet decides it. Rule: A change to a statutory duty" in run.output, run.output
    run = safer(app_db_url, "framework", "approve", "1", "--as", "Analyst")
    assert isinstance(run.exception, PermissionDeniedError)
    run = safer(app_db_url, "framework", "grant", "Director", "--as", "Analyst")
    assert isinstance(run.exception, PermissionDeniedError) and "'admin' role" in str(run.exception)
    assert safer(app_db_url, "framework", "grant", "Director", "--as", "Admin").exit_code == 0
    assert safer(app_db_url, "framework", "grant", "Analyst", "--as", "Admin").exit_code == 0
    run = safer(app_db_url, "framework", "approve", "1", "--as", "Analyst", "--consulted", "Member",
                "--consulted-on", date.today().isoformat(), "--outcome", "Agreed.")
    assert "proposed amendment 1, so cannot approve it" in str(run.exception)
    run = safer(app_db_url, "framework", "approve", "2", "--as", "Director", "--consulted", "Member",
                "--consulted-on", date.today().isoformat(), "--outcome", "Agreed.")
    assert "not a minor amendment" in str(run.exception)
    run = safer(app_db_url, "framework", "approve", "1", "--as", "Director")
    assert "requires consultation" in str(run.exception)
    run = safer(app_db_url, "framework", "approve", "1", "--as", "Director", "--consulted",
                "Cabinet Member for Community and Cultural Services", "--consulted-on",
                date.today().isoformat(), "--outcome", "Agreed by e-mail.")
    assert run.exit_code == 0 and "published version 2" in run.output, run.output
    run = safer(app_db_url, "framework", "approve", "2", "--as", "Director", "--cabinet-decision",
                "Cabinet 12 March 2026, minute 7", "--cabinet-date", date.today().isoformat())
    assert run.exit_code == 0 and "published version 3" in run.output, run.output
    assert "Recorded authority: Cabinet decision: Cabinet 12 March 2026, minute 7" in run.output
    logged = [(e["actor"], e["action"], e["ip"]) for e in reversed(audit.entries(engine))]
    engine.dispose()
    expected = [("Nobody", "amendment_proposed_refused"), ("Analyst", "amendment_proposed"),
                ("Analyst", "role_granted_refused"), ("Admin", "role_granted"),
                ("Analyst", "amendment_approved_refused"), ("Director", "amendment_approved")]
    for actor, action in expected:
        logged_entry = (actor, action, "cli")
        assert logged_entry in logged, logged_entry
    run = safer(app_db_url, "framework", "history")
    assert "-  review_cadence: annual" in run.output and "+  review_cadence: quarterly" in run.output
    assert "Amendment 2 [approved] proposed by Analyst" in run.output
    run = safer(app_db_url, "framework", "versions", "--json")
    assert [v["number"] for v in json.loads(run.stdout)] == [1, 2, 3]

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
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin",
                              **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}, timeout=120)
    assert run.returncode == 2
    assert "activities.yaml: entry 'freedom-programme', field 'approaches.0'" in run.stderr
    assert "nothing was loaded" in run.stderr
    run = safer(app_db_url, "framework", "versions", "--json")
    assert json.loads(run.stdout) == []
