"""Fixtures for the report tests: a store from the real slices in tests/data/evidence (three Lancashire
districts, 25 months), loaded through the ingesters once per session, and the reports built from it once.

Contains public sector information licensed under the Open Government Licence v3.0 (police.uk, ONS,
MHCLG, DfT); see tests/data/evidence/README.md for the sources and the cutting script.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from safer_communities.config import Settings
from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def build_store(path: Path) -> None:
    d = EVIDENCE_DATA
    loads = [
        ("geography", [*sorted((d / "boundaries").glob("*.json")), d / "lsoa11_lsoa21.csv"]),
        ("population", [d / "population.csv"]),
        ("deprivation", [d / "imd2019.csv"]),
        ("stats19", [d / "collisions-2023.csv"]),
        ("police-uk", [*sorted((d / "street").glob("*.csv.gz")), *sorted((d / "outcomes").glob("*.csv.gz"))]),
    ]
    for source, paths in loads:
        run_ingest(path, source, paths)


@pytest.fixture(scope="session")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("publish-store") / "evidence.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="session")
def built_reports(report_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The county report and one district report (the slowest fixture: built once per test run).

    Under pytest-xdist every worker has its own session, so the reports are built once into the
    run's shared temporary folder under a file lock, and the other workers reuse them.
    """
    from safer_communities.publish.sna import build_needs_assessment

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "publish-reports"
    with (shared / "publish-reports.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").exists():
            con = connect(report_store, read_only=True)
            try:
                build_needs_assessment(con, Settings(), out_dir=out / "county")
                build_needs_assessment(con, Settings(), area_code="E07000125", out_dir=out / "district")
            finally:
                con.close()
            (out / "done").touch()
    return {"county": out / "county", "district": out / "district"}


@pytest.fixture(scope="session")
def fy_county_tables(report_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county report's tables for a financial year (2021-04..2022-03): LSOA figures (the map, its
    table, concentration, deciles) are on the publication grid for financial years only, so the default
    rolling 12 months of ``built_reports`` has none. Built once per run (shared by xdist workers)."""
    from safer_communities.publish.sna import build_needs_assessment

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "publish-fy-county"
    with (shared / "publish-fy-county.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").exists():
            con = connect(report_store, read_only=True)
            try:
                build_needs_assessment(con, Settings(), period="2021-04..2022-03", out_dir=out / "county",
                                       formats=("tables",))
            finally:
                con.close()
            (out / "done").touch()
    return out / "county" / "tables"
