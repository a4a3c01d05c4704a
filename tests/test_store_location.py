"""The store's path found without pydantic agrees with ``Settings().db`` however it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from safer_communities.config import Settings
from safer_communities.store_location import DEFAULT_DB, evidence_store_path


@pytest.mark.parametrize("env", [
    {},
    {"SAFER_DB": "/data/county.duckdb"},
    {"safer_db": "lower.duckdb"},
    {"Safer_Db": "mixed.duckdb", "SAFER_APP_DB_URL": "sqlite:///x.sqlite"},
    {"SAFER_DB": ""},
    {"OTHER_DB": "not-ours.duckdb"},
], ids=["default", "upper", "lower", "mixed", "empty", "unrelated"])
def test_the_same_path_as_the_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in [k for k in __import__("os").environ if k.lower().startswith("safer_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert evidence_store_path() == Settings().db
    assert evidence_store_path(Path("given.duckdb")) == Settings(db=Path("given.duckdb")).db


def test_default_is_the_settings_default() -> None:
    assert Settings.model_fields["db"].default == DEFAULT_DB == Path("safer.duckdb")
