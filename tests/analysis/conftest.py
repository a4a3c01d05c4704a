"""A fixture evidence store built from the real slices in tests/data/evidence (three Lancashire districts).

Loaded through ``ingest.runner.run_ingest`` exactly as ``safer ingest`` does, once per session, then
copied to a fresh file for every test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def build_store(path: Path) -> None:
    """Load every slice into a new store at ``path`` through the ingesters, as a user would."""
    d = EVIDENCE_DATA
    loads = [
        ("geography", [*sorted((d / "boundaries").glob("*.json")), d / "lsoa11_lsoa21.csv"]),
        ("population", [d / "population.csv"]),
        ("deprivation", [d / "imd2019.csv"]),
        ("stats19", [d / "collisions-2023.csv"]),
        ("police-uk", [*sorted((d / "street").glob("*.csv.gz")), *sorted((d / "outcomes").glob("*.csv.gz"))]),
    ]
    for source, paths in loads:
        report = run_ingest(path, source, paths)
        assert report.rows_rejected == 0, f"{source}: {report.rows_rejected} rows rejected"


@pytest.fixture(scope="session")
def _built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evidence") / "template.duckdb"
    build_store(path)
    return path


@pytest.fixture
def evidence_store(_built_store: Path, tmp_path: Path) -> Path:
    """A fresh copy of the fixture store for this test."""
    path = tmp_path / "evidence.duckdb"
    shutil.copyfile(_built_store, path)
    return path


@pytest.fixture
def evidence_con(evidence_store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to a fresh copy of the fixture store."""
    con = connect(evidence_store)
    yield con
    con.close()
