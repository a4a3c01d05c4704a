"""Data values that look like Rich markup are printed as text by every CLI table (issue 11)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer_communities.cli import app

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = importlib.util.spec_from_file_location("evidence_fixture", TESTS / "analysis" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "store.duckdb"
    module.build_store(path)
    monkeypatch.setenv("SAFER_DB", str(path))
    return path


def test_closing_tag_in_an_outcome_is_printed_not_parsed(db: Path) -> None:
    """'[/x]' in an outcome stopped `evidence outcomes` with a MarkupError before."""
    con = duckdb.connect(str(db))
    changed = con.execute("UPDATE outcomes SET outcome_type = outcome_type || ' [/x]' "
                          "WHERE outcome_type = 'Unable to prosecute suspect'").fetchone()
    con.close()
    assert changed and changed[0] > 0
    result = CliRunner().invoke(app, ["evidence", "outcomes", "--issue", "violence",
                                      "--period", "2021-03..2022-02"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Unable to prosecute suspect [/x]" in result.stdout
