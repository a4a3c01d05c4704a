"""Work pages: framework amendments (propose, approve, reject, history) and needs-assessment reports
(built in the background: a job page that refreshes itself, then the download)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import duckdb
import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from safer_communities.errors import InputError, PermissionDeniedError, SaferError
from safer_communities.framework import amendments as fa
from safer_communities.framework.model import KINDS
from safer_communities.framework.register import DEFAULT_CONSULTEE
from safer_communities.web import audit, deps, report_jobs
from safer_communities.web import evidence as ev
from safer_communities.web.accounts import Account
from safer_communities.web.limits import check_period_length
from safer_communities.web.routes.common import render
from safer_communities.web.security import client_ip

router = APIRouter(include_in_schema=False, dependencies=[])
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
Reader = Annotated[Account, Depends(deps.require("read"))]
Editor = Annotated[Account, Depends(deps.require("propose_amendment"))]
Approver = Annotated[Account, Depends(deps.require("decide_amendment"))]
Analyst = Annotated[Account, Depends(deps.require("build_report"))]
Csrf = [Depends(deps.csrf)]
REPORT_FORMATS = report_jobs.FORMATS


def _amendments_page(request: Request, account: Account, *, problem: dict[str, Any] | None = None,
                     form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    views = list(reversed(fa.history(request.app.state.engine)))
    return render(request, "amendments.html", {
        "amendments": views, "kinds": KINDS, "problem": problem, "form": form or {},
        "consultee": DEFAULT_CONSULTEE}, account=account, status_code=status_code)


@router.get("/amendments", response_class=HTMLResponse)
def amendments(request: Request, account: Reader) -> HTMLResponse:
    return _amendments_page(request, account)


def _change(kind: str, entry_id: str, op: str, data_text: str) -> fa.Change:
    if op not in ("add", "update", "remove"):
        raise InputError("The change must be add, update or remove.", found=repr(op))
    data: Any = {}
    if op != "remove":
        try:
            data = yaml.safe_load(data_text) if data_text.strip() else {}
        except yaml.YAMLError as exc:
            raise InputError("The changes are not valid YAML.", found=str(exc).splitlines()[0],
                             hint="Write one 'field: value' per line, e.g. 'name: Knife crime'.") from exc
        if not isinstance(data, dict) or not data:
            raise InputError("The changes must be fields and values.", found=repr(data_text[:80]),
                             hint="Write one 'field: value' per line, e.g. 'name: Knife crime'.")
    return fa.Change(fa.normalise_kind(kind), entry_id.strip(), op, data)  # type: ignore[arg-type]


@router.post("/amendments", dependencies=Csrf)
def propose(request: Request, account: Editor, kind: Annotated[str, Form(max_length=30)],
            entry_id: Annotated[str, Form(max_length=100)], reason: Annotated[str, Form(max_length=4000)],
            op: Annotated[str, Form(max_length=10)] = "update",
            data: Annotated[str, Form(max_length=20000)] = "") -> Response:
    engine = request.app.state.engine
    form = {"kind": kind, "entry_id": entry_id, "reason": reason, "op": op, "data": data}
    try:
        change = _change(kind, entry_id, op, data)
        number = fa.propose(engine, by=account.name, reason=reason, changes=[change])
    except SaferError as exc:
        return _amendments_page(request, account, problem=exc.to_dict(), form=form, status_code=422)
    audit.record(engine, actor=account.name, action="amendment_proposed", obj=f"amendment {number}",
                 ip=client_ip(request), detail=f"{op} {kind}/{entry_id}: {reason}")
    return RedirectResponse(f"/amendments#amendment-{number}", status_code=303)


def _form_date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{label} must be a date.", found=repr(value[:40]),
                         hint="Use the date picker, or write YYYY-MM-DD.") from exc


@router.post("/amendments/{amendment_id}/approve", dependencies=Csrf)
def approve(request: Request, amendment_id: int, account: Approver,
            consulted: Annotated[str, Form(max_length=300)] = "",
            consulted_on: Annotated[str, Form(max_length=20)] = "",
            outcome: Annotated[str, Form(max_length=4000)] = "",
            cabinet_decision: Annotated[str, Form(max_length=300)] = "",
            cabinet_date: Annotated[str, Form(max_length=20)] = "",
            note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Nothing is pre-filled: the approver enters the consultation, or Cabinet's decision."""
    engine = request.app.state.engine
    try:
        consultation = cabinet = None
        if consulted or consulted_on or outcome:
            consultation = fa.Consultation(consulted, _form_date(consulted_on, "The consultation date"),
                                           outcome)
        if cabinet_decision or cabinet_date:
            cabinet = fa.CabinetDecision(cabinet_decision, _form_date(cabinet_date, "The Cabinet date"))
        version = fa.approve(engine, amendment_id, by=account.name, consultation=consultation,
                             cabinet=cabinet, note=note or None)
    except SaferError as exc:
        if isinstance(exc, PermissionDeniedError):
            audit.record(engine, actor=account.name, action="amendment_approved_refused",
                         obj=f"amendment {amendment_id}", ip=client_ip(request), detail=exc.what)
        return _amendments_page(request, account, problem=exc.to_dict(), status_code=422)
    detail = (f"Cabinet decision {cabinet.reference}" if cabinet else
              f"consulted {consultation.who} on {consultation.on}: {consultation.outcome}" if consultation
              else "")
    audit.record(engine, actor=account.name, action="amendment_approved", obj=f"amendment {amendment_id}",
                 ip=client_ip(request), detail=f"published as version {version}; {detail}")
    return RedirectResponse(f"/amendments#amendment-{amendment_id}", status_code=303)


@router.post("/amendments/{amendment_id}/reject", dependencies=Csrf)
def reject(request: Request, amendment_id: int, account: Approver,
           note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    engine = request.app.state.engine
    try:
        fa.reject(engine, amendment_id, by=account.name, note=note)
    except SaferError as exc:
        return _amendments_page(request, account, problem=exc.to_dict(), status_code=422)
    audit.record(engine, actor=account.name, action="amendment_rejected", obj=f"amendment {amendment_id}",
                 ip=client_ip(request), detail=note)
    return RedirectResponse(f"/amendments#amendment-{amendment_id}", status_code=303)


def _reports_page(request: Request, con: duckdb.DuckDBPyConnection, account: Account, *,
                  problem: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    areas = ev.area_options(con, request.app.state.settings)
    jobs = report_jobs.recent(request.app.state.engine)
    return render(request, "reports.html", {"areas": areas, "problem": problem, "jobs": jobs,
                                            "formats": list(REPORT_FORMATS),
                                            "busy": any(not j.finished for j in jobs)},
                  account=account, status_code=status_code)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, con: Evidence, account: Analyst) -> HTMLResponse:
    return _reports_page(request, con, account)


@router.post("/reports", dependencies=Csrf)
def build_report(request: Request, con: Evidence, account: Analyst, area: Annotated[str, Form(max_length=20)],
                 period: Annotated[str, Form(max_length=40)] = "latest-12-months",
                 fmt: Annotated[str, Form(max_length=10)] = "html") -> Response:
    """Start building the needs assessment in the background and show its job page."""
    settings = request.app.state.settings
    try:
        ev.area_level(con, settings, area)
        check_period_length(period)
        job = report_jobs.start(request.app.state.engine, settings, by=account.name, area_code=area,
                                period=period, fmt=fmt, ip=client_ip(request))
    except SaferError as exc:
        return _reports_page(request, con, account, problem=exc.to_dict(), status_code=422)
    return RedirectResponse(f"/reports/jobs/{job.id}", status_code=303)


JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]


@router.get("/reports/jobs/{job_id}", response_class=HTMLResponse)
def report_job(request: Request, account: Analyst, job_id: JobId) -> HTMLResponse:
    """Refreshes itself every few seconds until the job has finished."""
    job = report_jobs.get(request.app.state.engine, job_id)
    return render(request, "report_job.html", {"job": job}, account=account)


@router.get("/reports/jobs/{job_id}/status")
def report_job_status(request: Request, account: Analyst, job_id: JobId) -> dict[str, Any]:
    return report_jobs.get(request.app.state.engine, job_id).to_dict()


@router.get("/reports/jobs/{job_id}/download")
def report_download(request: Request, account: Analyst, job_id: JobId) -> Response:
    engine = request.app.state.engine
    job = report_jobs.get(engine, job_id)
    path = report_jobs.zip_path(job)
    audit.record(engine, actor=account.name, action="export_report", obj=path.name, ip=client_ip(request),
                 detail=f"job {job.id}: {job.area_code}, {job.fmt}, period {job.period}")
    return FileResponse(path, media_type="application/zip", filename=path.name)
