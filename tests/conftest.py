"""Fixtures shared by every test package: repository paths and a fresh store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs on a loaded 2-core machine: a per-example deadline fails property tests that are only slow,
# so no property test has one (issue 10). Profiles load before test modules are imported, so every
# @settings(...) that does not name a deadline inherits this.
hypothesis_settings.register_profile("safer", deadline=None)
hypothesis_settings.load_profile("safer")

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
DEMO_DATA = REPO / "demo" / "data"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store: real Lancashire geography, population, IMD, STATS19 and 12 months of police.uk,
    built once per session (the web tests and the docs examples read it; copy it before writing)."""
    from safer_communities.ingest.runner import run_ingest

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    for source, folder in (("geography", "geography"), ("population", "population"),
                           ("deprivation", "deprivation"), ("stats19", "road-safety"),
                           ("police-uk", "police-uk")):
        run_ingest(db, source, [DEMO_DATA / folder])
    return db


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A path for a new, empty evidence store (never a shared one)."""
    return tmp_path / "store.duckdb"


def _app_db_urls() -> list[object]:
    urls: list[object] = ["sqlite"]
    marks = [pytest.mark.postgres]
    if not os.environ.get("SAFER_TEST_POSTGRES_URL"):
        marks.append(pytest.mark.skip(reason="SAFER_TEST_POSTGRES_URL not set (.ci/run sets it)"))
    urls.append(pytest.param("postgresql", marks=marks))
    return urls


@pytest.fixture(params=_app_db_urls())
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh application database: SQLite in tmp_path, and a new PostgreSQL database when CI has one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"  # a generator fixture must yield, not return
        return
    import uuid

    import sqlalchemy as sa

    admin_url = os.environ["SAFER_TEST_POSTGRES_URL"]
    name = f"safer_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def force_area_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's evidence store (Lancashire's 14 districts: a whole police force area), built once per
    run from demo/data through the ingesters: geography, population and the police.uk archive.

    Read it only (copy it for writes). Under pytest-xdist the workers share one build under a file lock.
    """
    import fcntl

    from safer_communities.ingest.runner import run_ingest

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "demo-store" / "demo.duckdb"
    with (shared / "demo-store.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path.parent / "done").exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            for source in ("geography", "population", "police-uk"):
                paths = sorted((DEMO_DATA / source).iterdir())
                run_ingest(path, source, [p for p in paths if p.name != "README.md"])
            (path.parent / "done").write_text("ok", encoding="utf-8")
    return path
