"""Administration: the audit log (page and CSV export) and the list of users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from safer_communities.web import accounts, audit, deps
from safer_communities.web.accounts import Account
from safer_communities.web.routes.common import render
from safer_communities.web.security import client_ip

router = APIRouter(prefix="/admin", include_in_schema=False)
Admin = Annotated[Account, Depends(deps.require("admin"))]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, account: Admin,
               action: Annotated[str | None, Query(max_length=60)] = None) -> HTMLResponse:
    rows = audit.entries(request.app.state.engine, limit=500, action=action or None)
    return render(request, "audit.html", {"rows": rows, "action": action or ""}, account=account)


@router.get("/audit.csv")
def audit_csv(request: Request, account: Admin) -> Response:
    engine = request.app.state.engine
    rows = audit.entries(engine, limit=None)
    audit.record(engine, actor=account.name, action="export_audit", obj="audit.csv", ip=client_ip(request),
                 detail=f"{len(rows)} entries")
    name = f"audit-log-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
    return Response(audit.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, account: Admin) -> HTMLResponse:
    return render(request, "users.html", {"users": accounts.list_users(request.app.state.engine),
                                          "roles": accounts.ROLES}, account=account)
