"""`safer evidence partner ...`: every command reads record-level data, so each writes
``partner_records_read`` to the audit log (a refused read too); what it prints is protected and, from the
SYNTHETIC demo feeds, says SYNTHETIC in the title, every CSV row and the notes."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.errors import NoDataError
from safer_communities.ingest.partner_feed import ingest_partner_feed
from safer_communities.store.app_db import open_app_db
from safer_communities.store.evidence import connect, transaction
from safer_communities.web import audit

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "data" / "partner-synthetic"
SMALL = re.compile(r"^[1-4]$")


@pytest.fixture(scope="module")
def store(force_area_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partner-cli") / "store.duckdb"
    shutil.copy(force_area_store, path)
    con = connect(path)
    try:
        with transaction(con):
            for schema in ("istv", "force-crimes"):
                ingest_partner_feed(
                    con,
                    [SAMPLES / f"{schema}-SYNTHETIC.csv"],
                    schema=schema,
                    agreement="demo",
                    key="test-key-0123456789abcdef",
                )
    finally:
        con.close()
    return path


def _reads(app_db: str) -> list[dict[str, object]]:
    return audit.entries(open_app_db(app_db), action="partner_records_read")


@pytest.mark.parametrize(
    "args",
    [
        ["serious-violence"],
        ["serious-violence", "--by", "month"],
        ["when", "--subset", "serious-violence"],
        ["when", "--feed", "istv", "--field", "arrival_at", "--hours", "6"],
        ["who", "--role", "suspect"],
        ["vru"],
        ["flags"],
        ["flags", "--by", "month"],
        ["near-repeat", "--permutations", "9", "--seed", "3"],
        ["istv", "--by", "month"],
        ["istv", "--by", "location_type"],
    ],
)
def test_each_command_writes_protected_synthetic_csv_and_an_audit_entry(
    store: Path, tmp_path: Path, args: list[str]
) -> None:
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app, ["--db", str(store), "--app-db", app_db, "evidence", "partner", *args, "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["data"] == "SYNTHETIC" for row in rows)
    counts = (
        {"observed"}
        if args[0] == "near-repeat"
        else {
            c
            for c in rows[0]
            if c
            not in {
                "data",
                "area_code",
                "area_name",
                "month",
                "time",
                "age_band",
                "measure",
                "source",
                "population",
                "assault_method",
                "location_type",
                "distance_band",
                "time_band",
                "calculator_distance",
                "calculator_time",
                "expected",
                "p_value",
            }
            and not c.endswith(("_pct", "_100k", "_1000"))
        }
    )
    shown_small = [(c, row[c]) for row in rows for c in counts if SMALL.match(row[c] or "")]
    assert shown_small == []  # counts of 1 to 4 never leave as numbers
    sidecar = json.loads(Path(f"{out}-metadata.json").read_text(encoding="utf-8"))
    assert "SYNTHETIC" in json.dumps(sidecar)
    reads = _reads(app_db)
    assert len(reads) == 1 and reads[0]["ip"] == "cli" and str(reads[0]["object"]).startswith("partner_")


def test_the_terminal_title_says_synthetic(store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--db", str(store), "--app-db", f"sqlite:///{tmp_path / 'a.sqlite'}", "evidence", "partner", "vru"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("SYNTHETIC - Violence reduction success measures")


def test_a_store_without_the_feed_is_refused_and_the_attempt_audited(tmp_path: Path) -> None:
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    connect(tmp_path / "empty.duckdb").close()
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(tmp_path / "empty.duckdb"),
            "--app-db",
            app_db,
            "evidence",
            "partner",
            "serious-violence",
        ],
    )
    assert isinstance(result.exception, NoDataError)  # main() turns it into exit code 2 and one message
    assert result.exception.what.startswith("Nothing from the force crime extract is loaded")
    assert "safer ingest partner-feed" in (result.exception.hint or "")
    assert [r["detail"] for r in _reads(app_db)] == ["serious violence by area"]


def test_the_needs_assessment_audits_its_read_of_the_feeds(store: Path, tmp_path: Path, monkeypatch) -> None:
    from safer_communities.publish import sna

    monkeypatch.setattr(sna, "build_needs_assessment", lambda *args, **kwargs: [])  # the read is what counts
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    result = CliRunner().invoke(app, ["--db", str(store), "--app-db", app_db, "report", "sna", "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    reads = _reads(app_db)
    assert [(r["object"], r["detail"]) for r in reads] == [
        ("partner_istv, partner_force_crimes", "needs assessment (protected aggregates)")]
