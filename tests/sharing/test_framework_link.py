"""`safer framework check` reports the sharing register: specified authorities with no agreement, an
agreement past review, and record-level partner data past retention."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safer_communities.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "data" / "partner-synthetic"


def test_framework_check_reports_sharing_findings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SAFER_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    base = ["--db", str(tmp_path / "s.duckdb"), "--app-db", f"sqlite:///{tmp_path / 'app.sqlite'}"]
    runner = CliRunner()
    assert runner.invoke(app, [*base, "framework", "load", "--by", "tester"]).exit_code == 0
    added = runner.invoke(app, [*base, "sharing", "add", "old-one", "--title", "t", "--party",
                                "lancashire-constabulary", "--party", "lsc-icb",
                                "--gateway", "PCSC Act 2022 s16",
                                "--purpose", "SVD", "--schema", "istv", "--retention-days", "30",
                                "--review", "2024-01-01", "--start", "2020-01-01", "--dpia", "2020-01-01"])
    assert added.exit_code == 0, added.output
    loaded = runner.invoke(app, [*base, "ingest", "partner-feed", str(SAMPLES / "istv-SYNTHETIC.csv"),
                                 "--schema", "istv", "--agreement", "old-one", "-q"])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(app, [*base, "framework", "check", "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    codes = {(f["code"], f["entry"]) for f in findings}
    assert ("sharing-agreement-past-review", "old-one") in codes
    assert ("partner-data-past-retention", "old-one") in codes
    assert ("specified-authority-no-agreement", "probation-service") in codes
    assert ("specified-authority-no-agreement", "lancashire-constabulary") not in codes
    retention = next(f for f in findings if f["code"] == "partner-data-past-retention")
    assert retention["message"].startswith("400 record(s) in partner_istv")
