"""One error shape for the whole API, and the HTTP status each kind of error gets.

Every API error body is ``SaferError.to_dict()``: ``{"error", "what", "found", "hint"}``.
``NoDataError`` is 404: the question names data that is not in the store, and a 200 with empty
numbers could be read as zero. Pages show the same four parts in an HTML error page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from safer_communities.errors import (
    InputError,
    NoDataError,
    NotFoundError,
    PermissionDeniedError,
    SaferError,
    StoreError,
    StoreLockedError,
)

log = logging.getLogger(__name__)


class NotAuthenticatedError(SaferError):
    """No valid session or API token (401 for the API; a redirect to the sign-in page for pages)."""

    code = "not_authenticated"


class CsrfError(SaferError):
    """A form arrived without the token of the page it came from."""

    code = "csrf_failed"


STATUS: list[tuple[type[SaferError], int]] = [
    (NotAuthenticatedError, 401),
    (CsrfError, 403),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (NoDataError, 404),
    (InputError, 422),
    (StoreLockedError, 503),
    (StoreError, 503),
]

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated",
               403: "permission_denied"}


def status_for(exc: SaferError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _body(code: str, what: str, found: str | None = None, hint: str | None = None) -> dict[str, Any]:
    return {"error": code, "what": what, "found": found, "hint": hint}


def _respond(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
             ) -> Response:
    if _is_api(request):
        return JSONResponse(body, status_code=status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"status": status, "problem": body},
                                      status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one shape."""

    @app.exception_handler(SaferError)
    async def safer_error(request: Request, exc: SaferError) -> Response:
        if isinstance(exc, NotAuthenticatedError) and not _is_api(request):
            from urllib.parse import quote

            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticatedError) else None
        return _respond(request, status_for(exc), exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return _respond(request, 422, _body(InputError.code, "The request has a value that cannot be used.",
                                            found=problems[:1000],
                                            hint="See the parameters in the API document at /api/v1/docs."))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        what = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        hint = "Check the address; the API is listed at /api/v1/docs." if exc.status_code == 404 else None
        return _respond(request, exc.status_code, _body(code, what, found=request.url.path, hint=hint),
                        dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return _respond(request, 500, _body("internal_error", "Something went wrong on the server.",
                                            found=type(exc).__name__,
                                            hint="Try again; if it happens again, tell the administrator "
                                                 "(the server log has the details)."))
