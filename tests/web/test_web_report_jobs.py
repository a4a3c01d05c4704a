"""Needs assessments as background jobs: the request returns at once, the job row tells every worker its
status, the download is offered when done, and the build and download are audited. The builder is
replaced by a fast fake here (the real build, 25-40 s, is in test_web_audit and the browser test)."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from web_helpers import csrf_from

from safer_communities.errors import NoDataError
from safer_communities.store.app_db import session_scope, utcnow
from safer_communities.web import audit, report_jobs
from safer_communities.web import evidence as ev
from safer_communities.web.models import ReportJob

BURNLEY = "E07000117"


def _fake_build(con, settings, *, area_code: str, period: str, out_dir: Path, formats: tuple[str, ...]
                ) -> list[Path]:
    """Writes what the real builder writes first (an index and a manifest), using the real store."""
    _, name = ev.area_level(con, settings, area_code)
    out_dir.mkdir(parents=True)
    (out_dir / "index.html").write_text(f"<h1>{name}</h1>", encoding="utf-8")
    (out_dir / "manifest.json").write_text(json.dumps({"area": area_code, "period": period,
                                                       "formats": list(formats)}), encoding="utf-8")
    return [out_dir / "index.html", out_dir / "manifest.json"]


def _wait(engine, job_id: str, seconds: float = 30) -> report_jobs.JobView:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = report_jobs.get(engine, job_id)
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_jobs, "build", _fake_build)


def test_build_runs_in_the_background_and_downloads(app, login_as, fast, tmp_path: Path) -> None:
    analyst = login_as("analyst")
    token = csrf_from(analyst.get("/reports").text)
    response = analyst.post("/reports", data={"area": BURNLEY, "fmt": "html", "period": "2021",
                                              "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = _wait(app.state.engine, job_id)
    assert job.status == "done", job.error
    assert (job.created_by, job.area_code, job.period, job.fmt) == ("analyst", BURNLEY, "2021", "html")
    assert Path(job.output_dir).parent == app.state.settings.db.resolve().parent / "reports"

    status = analyst.get(f"/reports/jobs/{job_id}/status").json()
    assert status["status"] == "done" and status["download"] == f"/reports/jobs/{job_id}/download"
    assert status["started_at"] is not None and status["finished_at"] is not None
    page = analyst.get(f"/reports/jobs/{job_id}").text
    assert 'http-equiv="refresh"' not in page and f"/reports/jobs/{job_id}/download" in page
    listing = analyst.get("/reports").text
    assert f'id="job-{job_id}"' in listing and 'http-equiv="refresh"' not in listing

    download = analyst.get(f"/reports/jobs/{job_id}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert f"needs-assessment-{BURNLEY}-" in download.headers["content-disposition"]
    archive = tmp_path / "r.zip"
    archive.write_bytes(download.content)
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["index.html", "manifest.json"]
        assert z.read("index.html").decode() == "<h1>Burnley</h1>"
        assert json.loads(z.read("manifest.json")) == {"area": BURNLEY, "period": "2021", "formats": ["html"]}

    engine = app.state.engine
    assert audit.entries(engine, action="report_requested")[0]["detail"] == f"{BURNLEY}, html, period 2021"
    assert audit.entries(engine, action="report_built")[0]["actor"] == "analyst"
    exported = audit.entries(engine, action="export_report")[0]
    assert exported["actor"] == "analyst" and exported["object"].startswith(f"needs-assessment-{BURNLEY}-")


def test_a_running_job_page_refreshes_itself(app, login_as) -> None:
    engine = app.state.engine
    with session_scope(engine) as session:
        session.add(ReportJob(id="a" * 32, created_by="analyst", area_code=BURNLEY, period="2021", fmt="pdf",
                              status="running", created_at=utcnow(), started_at=utcnow(), output_dir="/x"))
        session.add(ReportJob(id="b" * 32, created_by="analyst", area_code=BURNLEY, period="2021", fmt="pdf",
                              status="running", created_at=utcnow() - timedelta(hours=3), output_dir="/x"))
    analyst = login_as("analyst")
    page = analyst.get(f"/reports/jobs/{'a' * 32}").text
    assert '<meta http-equiv="refresh" content="3">' in page and ">running<" in page
    assert 'http-equiv="refresh"' in analyst.get("/reports").text
    not_ready = analyst.get(f"/reports/jobs/{'a' * 32}/download")
    assert not_ready.status_code == 404 and "not ready" in not_ready.text
    stale = analyst.get(f"/reports/jobs/{'b' * 32}/status").json()
    assert stale["status"] == "failed" and "interrupted" in stale["error"]
    assert analyst.get(f"/reports/jobs/{'c' * 32}").status_code == 404


def test_a_failed_build_says_why(app, login_as, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_data(*_: object, **__: object) -> list[Path]:
        raise NoDataError("No police.uk data covers the period.", found="2019", hint="Load the months first.")

    monkeypatch.setattr(report_jobs, "build", no_data)
    job = report_jobs.start(app.state.engine, app.state.settings, by="analyst", area_code=BURNLEY,
                            period="2019", fmt="html")
    done = _wait(app.state.engine, job.id)
    assert done.status == "failed"
    assert done.error == "No police.uk data covers the period. Found: 2019. Load the months first."
    assert audit.entries(app.state.engine, action="report_failed")[0]["object"] == f"report job {job.id}"
    page = login_as("analyst").get(f"/reports/jobs/{job.id}").text
    assert "could not be built" in page and "Load the months first." in page


def test_an_unexpected_error_is_recorded_not_lost(app, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> list[Path]:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(report_jobs, "build", broken)
    job = report_jobs.start(app.state.engine, app.state.settings, by="analyst", area_code=BURNLEY,
                            period="2021", fmt="tables")
    done = _wait(app.state.engine, job.id)
    assert done.status == "failed" and "ZeroDivisionError" in (done.error or "")


def test_bad_requests_are_refused_before_a_job_starts(app, login_as, fast) -> None:
    analyst = login_as("analyst")
    token = csrf_from(analyst.get("/reports").text)
    for form, text in (({"area": BURNLEY, "fmt": "exe"}, "format is not offered"),
                       ({"area": BURNLEY, "fmt": "html", "period": "someday"}, "period is not understood"),
                       ({"area": "E07999999", "fmt": "html"}, "E07999999")):
        response = analyst.post("/reports", data={**form, "csrf_token": token})
        assert response.status_code in (404, 422) and text in response.text, response.text[:300]
    with session_scope(app.state.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReportJob)) == 0


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "admin"])
def test_only_analysts_see_jobs(app, login_as, fast, role: str) -> None:
    job = report_jobs.start(app.state.engine, app.state.settings, by="analyst", area_code=BURNLEY,
                            period="2021", fmt="html")
    _wait(app.state.engine, job.id)
    c = login_as(role)
    for suffix in ("", "/status", "/download"):
        assert c.get(f"/reports/jobs/{job.id}{suffix}").status_code == 403, suffix
    assert audit.entries(app.state.engine, action="export_report") == []


def test_migration_0004_matches_the_model(app) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from safer_communities.store.app_db import Base, current_revision, head_revision

    engine = app.state.engine
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "report_jobs" in repr(d)] == []
