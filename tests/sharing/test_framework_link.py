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


def test_a_partner_shows_its_agreements_and_the_feeds_held_under_them(tmp_path: Path, monkeypatch) -> None:
    import csv

    monkeypatch.setenv("SAFER_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    base = ["--db", str(tmp_path / "s.duckdb"), "--app-db", f"sqlite:///{tmp_path / 'app.sqlite'}"]
    runner = CliRunner()
    assert runner.invoke(app, [*base, "framework", "load", "--by", "tester"]).exit_code == 0
    for agreement, parties, review in (("svd-2025", ("lancashire-constabulary", "lsc-icb"), "2030-06-30"),
                                       ("asb-2019", ("lancashire-constabulary",), "2020-01-01")):
        added = runner.invoke(app, [*base, "sharing", "add", agreement, "--title", f"Agreement {agreement}",
                                    *[x for p in parties for x in ("--party", p)],
                                    "--gateway", "PCSC Act 2022 s16", "--purpose", "SVD", "--schema", "istv",
                                    "--retention-days", "3650", "--review", review, "--start", "2019-01-01",
                                    "--dpia", "2019-01-01"] + (["--end", "2020-12-31"]
                                                               if agreement == "asb-2019" else []))
        assert added.exit_code == 0, added.output
    sample = SAMPLES / "istv-SYNTHETIC.csv"
    loaded = runner.invoke(app, [*base, "ingest", "partner-feed", str(sample), "--schema", "istv",
                                 "--agreement", "svd-2025", "-q"])
    assert loaded.exit_code == 0, loaded.output
    # by hand from the sample file: its rows and its first and last assault dates
    with sample.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    days = sorted(r["assault_at"][:10] for r in rows)
    shown = runner.invoke(app, [*base, "framework", "show", "partner", "lancashire-constabulary", "--json"])
    assert shown.exit_code == 0, shown.output
    sharing = json.loads(shown.output)["information_sharing"]
    assert sharing["specified_authority"] is True
    by_id = {a["id"]: a for a in sharing["agreements"]}
    assert set(by_id) == {"svd-2025", "asb-2019"}
    assert by_id["svd-2025"]["in_force"] is True
    assert by_id["asb-2019"]["in_force"] is False and "expired" in by_id["asb-2019"]["why_not"]
    [feed] = by_id["svd-2025"]["feeds"]
    assert (feed["schema"], feed["rows"], feed["synthetic"]) == ("istv", len(rows), True)
    assert (feed["first"], feed["last"]) == (days[0], days[-1])
    assert by_id["asb-2019"]["feeds"] == []
    text = runner.invoke(app, [*base, "framework", "show", "partner", "lsc-icb"]).output
    assert "svd-2025: Agreement svd-2025 (in force" in text and f"istv: {len(rows)} records" in text
    assert "SYNTHETIC" in text and "asb-2019" not in text
    text = runner.invoke(app, [*base, "framework", "show", "partner", "probation-service"]).output
    assert "no agreement; 'framework check' reports it" in text
