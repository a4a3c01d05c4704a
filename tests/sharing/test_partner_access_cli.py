"""`safer sharing feeds|records`: analysts only, every read and export in the audit log with who, what,
schema version, agreement and record count; a refused or failed read is logged as failed, never as read.
Counts are checked against the SYNTHETIC sample file itself."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.errors import InputError, PermissionDeniedError
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts, audit

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "data" / "partner-synthetic"


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("SAFER_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    args = ["--db", str(tmp_path / "s.duckdb"), "--app-db", url]
    runner = CliRunner()
    assert runner.invoke(app, [*args, "framework", "load", "--by", "tester"]).exit_code == 0
    added = runner.invoke(app, [*args, "sharing", "add", "svd", "--title", "t", "--party",
                                "lancashire-constabulary", "--gateway", "PCSC Act 2022 s16",
                                "--purpose", "SVD",
                                "--schema", "istv", "--retention-days", "730", "--review", "2030-01-01",
                                "--start", "2020-01-01", "--dpia", "2020-01-01"])
    assert added.exit_code == 0, added.output
    loaded = runner.invoke(app, [*args, "ingest", "partner-feed", str(SAMPLES / "istv-SYNTHETIC.csv"),
                                 "--schema", "istv", "--agreement", "svd", "-q"])
    assert loaded.exit_code == 0, loaded.output
    engine = open_app_db(url)
    accounts.add_user(engine, "ana", roles=["analyst"], password=None, by="tests")
    accounts.add_user(engine, "vera", roles=["viewer", "editor"], password=None, by="tests")
    return args


def _reads(base: list[str]) -> list[dict[str, object]]:
    engine = open_app_db(base[3])
    return [e for e in audit.entries(engine, limit=None) if str(e["action"]).startswith("partner_records")]


def _raw() -> list[dict[str, str]]:
    with (SAMPLES / "istv-SYNTHETIC.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_reads_and_exports_are_audited(base: list[str], tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, [*base, "sharing", "records", "istv", "--as", "ana", "--by", "month",
                                "--json"])
    assert shown.exit_code == 0, shown.output
    months = {r["month"]: r["records"] for r in json.loads(shown.output)["records"]}
    assert months == dict(Counter(r["assault_at"][:7] for r in _raw()))
    entry = _reads(base)[0]
    assert (entry["actor"], entry["action"], entry["object"], entry["ip"]) == (
        "ana", "partner_records_read", "partner feed istv", "cli")
    assert entry["detail"] == f"records by month; schema istv v1; agreements svd; {len(_raw())} records"

    out = tmp_path / "page.csv"
    exported = runner.invoke(app, [*base, "sharing", "records", "istv", "--as", "ana", "--page", "2",
                                   "--page-size", "30", "--csv", str(out)])
    assert exported.exit_code == 0, exported.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30  # pseudonymised: no reference of the file appears
    assert {r["attendance_id"] for r in rows}.isdisjoint(r["attendance_id"] for r in _raw())
    entry = _reads(base)[0]
    assert entry["action"] == "partner_records_exported"
    assert entry["detail"] == (f"records page 2 (30 a page); schema istv v1; agreements svd; 30 records; "
                               f"written to {out}")

    feeds = runner.invoke(app, [*base, "sharing", "feeds", "--as", "ana", "--json"])
    assert feeds.exit_code == 0 and json.loads(feeds.output)[0]["rows"] == len(_raw())
    assert _reads(base)[0]["detail"] == f"feed overview; schema all; agreements svd; {len(_raw())} records"


def test_a_refused_or_failed_read_is_never_logged_as_a_read(base: list[str], tmp_path: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(app, [*base, "sharing", "records", "istv", "--as", "vera"])
    assert isinstance(refused.exception, PermissionDeniedError) and "analyst" in refused.exception.what
    failed = runner.invoke(app, [*base, "sharing", "records", "istv", "--as", "ana", "--page", "99",
                                 "--csv", str(tmp_path / "x.csv")])
    assert isinstance(failed.exception, InputError) and not (tmp_path / "x.csv").exists()
    actions = [(e["actor"], e["action"]) for e in _reads(base)]
    assert actions == [("ana", "partner_records_read_failed"), ("vera", "partner_records_read_failed")]
    assert "not read (There is no such page.)" in str(_reads(base)[0]["detail"])
