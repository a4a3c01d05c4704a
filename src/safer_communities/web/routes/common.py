"""What page routes share: rendering with the user, CSRF token and navigation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from safer_communities.web.accounts import Account

NAV = [("/", "Dashboard", "read"), ("/framework", "Framework", "read"), ("/amendments", "Amendments", "read"),
       ("/strategy", "Strategy", "read"), ("/reviews", "Case reviews", "read"),
       ("/quality", "Data quality", "read"),
       ("/reports", "Reports", "build_report"),
       ("/partner-data", "Partner data", "read_partner_records"), ("/admin/audit", "Audit log", "admin"),
       ("/admin/users", "Users", "admin")]


def render(request: Request, template: str, context: dict[str, Any], *, account: Account | None,
           status_code: int = 200) -> HTMLResponse:
    nav = [(href, label) for href, label, perm in NAV
           if account is not None and (account.can(perm) if account.roles else href == "/")]
    ctx = {"account": account if account and account.roles else None, "nav": nav,
           "csrf_token": request.app.state.signer.csrf_token(request),
           "public_mode": request.app.state.settings.public_mode, "path": request.url.path, **context}
    return request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status_code)
