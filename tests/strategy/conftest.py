"""Fixtures for the strategy tests: the real evidence slices of tests/data/evidence (three Lancashire
districts, police.uk 2020-10..2022-10, STATS19 2023, population 2014-2020) in a DuckDB store, the shipped
framework register in a fresh application database (SQLite, and PostgreSQL when CI has one), and a
writer for strategy files.
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from sqlalchemy.engine import Engine

from safer_communities.framework import amendments
from safer_communities.framework.loader import read_framework, shipped_path
from safer_communities.store.app_db import open_app_db
from safer_communities.store.evidence import connect

TESTS = Path(__file__).resolve().parents[1]


def _build_store() -> Callable[[Path], None]:
    """The analysis tests' store builder (one loader for the shared slices, not a second copy)."""
    spec = importlib.util.spec_from_file_location("analysis_store_builder",
                                                  TESTS / "analysis" / "conftest.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.build_store


@pytest.fixture(scope="session")
def _store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("strategy-evidence") / "template.duckdb"
    _build_store()(path)
    return path


@pytest.fixture
def store_file(_store_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "evidence.duckdb"
    shutil.copyfile(_store_template, path)
    return path


@pytest.fixture
def con(store_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(store_file, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    """A fresh application database holding the shipped register as version 1."""
    eng = open_app_db(app_db_url)
    amendments.load(eng, read_framework(shipped_path()), by="test", origin="shipped")
    yield eng
    eng.dispose()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a strategy mapping to a YAML file and return its path."""
    def _write(data: dict[str, Any], name: str = "strategy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(copy.deepcopy(data), sort_keys=False), encoding="utf-8")
        return path

    return _write
