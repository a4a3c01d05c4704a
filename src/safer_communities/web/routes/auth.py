"""Sign in and out. Failures are counted per name and per address in the application database; a
session is a server-side row (``web.sessions``) that signing out deletes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safer_communities.errors import PermissionDeniedError
from safer_communities.web import accounts, audit, deps, sessions
from safer_communities.web.routes.common import render
from safer_communities.web.security import client_ip

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme), so sign-in cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "problem": None}, account=None)


@router.post("/login", dependencies=[Depends(deps.csrf)])
def login(request: Request, username: Annotated[str, Form(max_length=200)],
          password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form()] = "/",
          ) -> Response:
    engine = request.app.state.engine
    ip = client_ip(request)
    if not request.app.state.sessions_enabled:
        problem = {"error": "insecure_settings", "what": "Sign-in is switched off on this site.",
                   "found": "SAFER_SECRET_KEY is the default, empty or short",
                   "hint": "The administrator sets a long random SAFER_SECRET_KEY and restarts the site."}
        return render(request, "login.html", {"next": _safe_next(next), "problem": problem,
                                              "username": username}, account=None, status_code=403)
    try:
        account = accounts.authenticate(engine, username, password, ip)
    except PermissionDeniedError as exc:
        audit.record(engine, actor=" ".join(username.split())[:200] or "-", action="login_failed", ip=ip,
                     detail=exc.what)
        return render(request, "login.html", {"next": _safe_next(next), "problem": exc.to_dict(),
                                              "username": username}, account=None, status_code=403)
    audit.record(engine, actor=account.name, action="login", ip=ip)
    response = RedirectResponse(_safe_next(next), status_code=303)
    token = sessions.start(engine, account.id, max_age_s=request.app.state.signer.max_age, ip=ip)
    request.app.state.signer.start_session(request, response, token)
    return response


@router.post("/logout", dependencies=[Depends(deps.csrf)])
def logout(request: Request) -> Response:
    account = deps.optional_account(request)
    if account is not None:
        audit.record(request.app.state.engine, actor=account.name, action="logout", ip=client_ip(request))
    token = sessions.token_of(request.app.state.signer.session(request))
    if token is not None:
        sessions.end(request.app.state.engine, token)  # the cookie is worthless from now on, even replayed
    response = RedirectResponse("/login", status_code=303)
    request.app.state.signer.end_session(request, response)
    request.app.state.signer.new_csrf(request, response)
    return response
