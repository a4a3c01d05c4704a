"""Docs tests: the data dictionary covers the live schema, every command has help, every setting is
documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.config import Settings
from safer_communities.store.evidence import connect

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _dictionary_sections() -> dict[str, str]:
    """Each '### `name`' section of the data dictionary, by name."""
    text = (DOCS / "data-dictionary.md").read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_0-9]+)`\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _live_schema(store_path: Path) -> dict[str, list[str]]:
    con = connect(store_path)
    rows = con.execute(
        """
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'main' ORDER BY table_name, ordinal_position
        """
    ).fetchall()
    con.close()
    schema: dict[str, list[str]] = {}
    for table, column in rows:
        schema.setdefault(table, []).append(column)
    return schema


def test_every_table_and_column_is_in_the_data_dictionary(store_path: Path) -> None:
    schema = _live_schema(store_path)
    sections = _dictionary_sections()
    assert {"crimes", "areas", "ingests", "rejects", "crime_id_repeats"} <= set(schema)
    missing_tables = sorted(set(schema) - set(sections))
    assert not missing_tables, f"tables/views not in docs/data-dictionary.md: {missing_tables}"
    missing = [
        f"{table}.{column}"
        for table, columns in schema.items()
        for column in columns
        if not re.search(rf"^\| `{re.escape(column)}` \|", sections[table], flags=re.MULTILINE)
    ]
    assert not missing, f"columns not documented in their table's section: {missing}"


def test_data_dictionary_documents_no_table_that_does_not_exist(store_path: Path) -> None:
    stale = sorted(set(_dictionary_sections()) - set(_live_schema(store_path)))
    assert not stale, f"documented but not in the schema: {stale}"


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under the Typer app (Typer ships its own Click, so no isinstance)."""
    found = [(path, command)]
    if hasattr(command, "list_commands"):  # the root group loads its commands when asked for them
        for name in sorted(command.list_commands(None)):
            found += _commands(command.get_command(None, name), (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_cli_has_the_commands_of_the_issue() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"ingest police-uk", "ingest geography", "ingest population", "ingest deprivation",
            "ingest stats19", "quality"} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "safer" for p, _ in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"'safer {' '.join(path)}' has no help text (add a docstring)"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    first_line = command.help.strip().splitlines()[0][:40]
    assert " ".join(first_line.split()[:3]) in " ".join(result.output.split())


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [
        name for name in Settings.model_fields
        if f"`{name}`" not in text or f"`SAFER_{name.upper()}`" not in text
    ]
    assert not missing, f"settings not in docs/configuration.md: {missing}"
