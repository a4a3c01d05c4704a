"""Needs assessments built in the background: a row per job in the application database, a worker thread.

Building takes 25 to 40 seconds, too long to hold a request open behind a proxy. The request records
the job and returns; one thread per web process builds jobs in turn (two at once would only fight for
the same cores); every worker reads the job's row, so the status page can be served by any of them.
The zip is written to ``<reports folder>/<job id>/``, a folder every worker can read.
"""

from __future__ import annotations

import logging
import shutil
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.analysis.periods import parse_period
from safer_communities.config import Settings
from safer_communities.errors import InputError, NotFoundError, SaferError
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.store.evidence import connect
from safer_communities.web import audit
from safer_communities.web.models import ReportJob

log = logging.getLogger(__name__)
FORMATS: dict[str, tuple[str, ...]] = {"html": ("html",), "docx": ("docx",), "pdf": ("pdf",),
                                       "tables": ("tables",)}
# A job not finished after this long was lost with its process (a restart): shown as failed.
STALE_AFTER = timedelta(hours=2)
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="safer-report")


def build(con: duckdb.DuckDBPyConnection, settings: Settings, *, area_code: str, period: str, out_dir: Path,
          formats: tuple[str, ...]) -> list[Path]:
    """The builder (a seam: unit tests put a fast fake here)."""
    from safer_communities.publish.sna import build_needs_assessment

    return build_needs_assessment(con, settings, area_code=area_code, period=period, out_dir=out_dir,
                                  formats=formats)


def reports_root(settings: Settings) -> Path:
    return settings.reports_dir or settings.db.resolve().parent / "reports"


@dataclass(frozen=True)
class JobView:
    """A job as the page and the status route show it."""

    id: str
    created_by: str
    area_code: str
    period: str
    fmt: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    output_dir: str
    file_name: str | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return round(((self.finished_at or datetime.now(UTC)) - self.started_at).total_seconds(), 1)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_by": self.created_by, "area_code": self.area_code,
                "period": self.period, "format": self.fmt, "status": self.status,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "started_at": self.started_at.isoformat(timespec="seconds") if self.started_at else None,
                "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None,
                "seconds": self.seconds, "file_name": self.file_name, "error": self.error,
                "download": f"/reports/jobs/{self.id}/download" if self.status == "done" else None}


def _view(row: ReportJob) -> JobView:
    created = as_utc(row.created_at)
    status, error = row.status, row.error
    if status in ("queued", "running") and datetime.now(UTC) - created > STALE_AFTER:
        status, error = "failed", "The build was interrupted (the server restarted). Start it again."
    return JobView(row.id, row.created_by, row.area_code, row.period, row.fmt, status, created,
                   as_utc(row.started_at) if row.started_at else None,
                   as_utc(row.finished_at) if row.finished_at else None, row.output_dir, row.file_name, error)


def start(engine: Engine, settings: Settings, *, by: str, area_code: str, period: str, fmt: str,
          ip: str = "-") -> JobView:
    """Record the job and queue it; a bad format or period is refused here, before anything runs."""
    if fmt not in FORMATS:
        raise InputError("That report format is not offered.", found=repr(fmt),
                         hint=f"Choose one of: {', '.join(FORMATS)}.")
    parse_period(period, latest_month=date.today().replace(day=1))  # the syntax; the data is checked later
    job_id = uuid.uuid4().hex
    with session_scope(engine) as session:
        row = ReportJob(id=job_id, created_by=by, area_code=area_code, period=period, fmt=fmt,
                        status="queued", created_at=utcnow(), output_dir=str(reports_root(settings) / job_id))
        session.add(row)
    audit.record(engine, actor=by, action="report_requested", obj=f"report job {job_id}", ip=ip,
                 detail=f"{area_code}, {fmt}, period {period}")
    _executor.submit(run, engine, settings, job_id, ip)
    return get(engine, job_id)


def _set(engine: Engine, job_id: str, **values: Any) -> None:
    with session_scope(engine) as session:
        session.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(**values))


def run(engine: Engine, settings: Settings, job_id: str, ip: str = "-") -> None:
    """Build one job (in the worker thread); the outcome, good or bad, lands in its row and the audit log."""
    job = get(engine, job_id)
    _set(engine, job_id, status="running", started_at=utcnow())
    out = Path(job.output_dir)
    folder = out / "report"
    try:
        out.mkdir(parents=True, exist_ok=True)
        con = connect(settings.db, read_only=True)
        try:
            build(con, settings, area_code=job.area_code, period=job.period, out_dir=folder,
                  formats=FORMATS[job.fmt])
        finally:
            con.close()
        name = f"needs-assessment-{job.area_code}-{datetime.now(UTC):%Y%m%d}.zip"
        with zipfile.ZipFile(out / name, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
        shutil.rmtree(folder, ignore_errors=True)
    except SaferError as exc:
        _fail(engine, job, ip, " ".join(p for p in (exc.what, exc.found and f"Found: {exc.found}.",
                                                    exc.hint) if p))
        return
    except Exception as exc:  # a thread must record its failure: nobody else will see it
        log.exception("Report job %s failed", job_id)
        _fail(engine, job, ip, f"Something went wrong on the server ({type(exc).__name__}); the server log "
                               "has the details.")
        return
    _set(engine, job_id, status="done", finished_at=utcnow(), file_name=name)
    audit.record(engine, actor=job.created_by, action="report_built", obj=f"report job {job_id}", ip=ip,
                 detail=f"{name}: {job.area_code}, {job.fmt}, period {job.period}")


def _fail(engine: Engine, job: JobView, ip: str, message: str) -> None:
    _set(engine, job.id, status="failed", finished_at=utcnow(), error=message[:4000])
    audit.record(engine, actor=job.created_by, action="report_failed", obj=f"report job {job.id}", ip=ip,
                 detail=message[:1000])


def get(engine: Engine, job_id: str) -> JobView:
    with session_scope(engine) as session:
        row = session.get(ReportJob, job_id)
        if row is None:
            raise NotFoundError("There is no such report job.", found=repr(job_id[:40]),
                                hint="See the list of recent reports at /reports.")
        return _view(row)


def recent(engine: Engine, limit: int = 20) -> list[JobView]:
    """Newest first."""
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(ReportJob).order_by(ReportJob.created_at.desc()).limit(limit))
        return [_view(r) for r in rows]


def zip_path(job: JobView) -> Path:
    """The finished zip; a job not done (or whose folder was cleared) is a clear error."""
    if job.status != "done" or not job.file_name:
        raise NotFoundError("The report is not ready to download.", found=f"job status {job.status}",
                            hint="Wait until the job shows 'done'; a failed job says why.")
    path = Path(job.output_dir) / job.file_name
    if not path.is_file():
        raise NotFoundError("The report file is no longer on the server.", found=str(path.name),
                            hint="Build it again from /reports.")
    return path
