"""``create_app(settings)``: the FastAPI application (pages and ``/api/v1``) over the two stores."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safer_communities import __version__
from safer_communities.analysis.periods import label_words
from safer_communities.config import Settings
from safer_communities.store.app_db import open_app_db
from safer_communities.web import api_docs, errors, names
from safer_communities.web.limits import BodyLimit
from safer_communities.web.security import Signer, security_headers
from safer_communities.web.sessions import check_secret

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

API_DESCRIPTION = """
Evidence, framework and strategy of the community safety partnership, as JSON.

* **Authentication**: a session cookie (sign in at `/login`) or `Authorization: Bearer TOKEN`
  (tokens from `safer users token NAME`). In public mode the evidence endpoints are open.
* **Errors**: every error has the body `{"error", "what", "found", "hint"}`. 401 not signed in,
  403 not allowed, 404 unknown identifier or no data loaded for the question, 422 a value that
  cannot be used, 503 store unavailable, 500 unexpected.
* **Disclosure control**: every count and rate has passed small-number suppression; a withheld value is
  `null` and its `*_published` text says why (`<5`, `[c]`, `[u]`, `[x]`).
"""


_ADDED = {"content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"}


class SecurityHeaders:
    """Pure ASGI middleware (cheaper than ``@app.middleware``): security headers, no-store on API and
    pages, and the CSRF cookie when a page handed out a new token."""

    def __init__(self, app: ASGIApp, *, settings: Settings, signer: Signer) -> None:
        self.app, self.settings, self.signer = app, settings, signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                holder = Response()
                security_headers(holder, self.settings.tile_url)
                new = scope.get("state", {}).get("new_csrf")
                if new and not any("safer_csrf=" in v for v in headers.getlist("set-cookie")):
                    self.signer.set_csrf_cookie(Request(scope), holder, new)
                for key, value in holder.raw_headers:
                    name = key.decode("latin-1")
                    if name == "set-cookie" or (name in _ADDED and name not in headers):
                        headers.append(name, value.decode("latin-1"))
                is_page = "text/html" in headers.get("content-type", "")
                if (scope["path"].startswith("/api/") or is_page) and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; the caller builds the settings (``safer serve`` from the environment)."""
    settings = settings or Settings()
    sessions_enabled = check_secret(settings)  # a weak secret: refused, or sign-in off in public mode
    app = FastAPI(title="safer-communities", version=__version__, description=API_DESCRIPTION,
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = open_app_db(settings.app_db_url)
    app.state.signer = Signer(settings)
    app.state.sessions_enabled = sessions_enabled
    app.state.token_cache = {}
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    templates.env.filters["period_words"] = label_words  # "2021-04..2022-03" -> "April 2021 to March 2022"
    templates.env.filters["area_label"] = names.area_label(settings)  # "Burnley (E07000117)"
    templates.env.filters["lsoa_place"] = names.lsoa_place  # "E01025235" -> "Brookfield ward" or ""
    app.state.templates = templates
    errors.install(app)
    api_docs.install(app)  # Swagger UI from the package, not a CDN

    app.add_middleware(BodyLimit)  # inside SecurityHeaders, so a 413 carries the headers too
    app.add_middleware(SecurityHeaders, settings=settings, signer=app.state.signer)

    from safer_communities.web.routes import admin, api, auth, pages, subjects, tracker, work
    from safer_communities.web.routes import reviews as case_reviews

    app.include_router(case_reviews.api)  # before api.router: /framework/compliance is not /framework/{kind}
    app.include_router(api.router)
    app.include_router(tracker.api)
    app.include_router(tracker.pages)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(subjects.router)
    app.include_router(work.router)
    app.include_router(admin.router)
    app.include_router(case_reviews.pages)
    from safer_communities.web.routes import forecast as forecast_routes  # issue 15: the forecast layer

    app.include_router(forecast_routes.router)
    from safer_communities.web.routes import partner_data  # issue 12: record-level partner data (analysts)

    app.include_router(partner_data.api)
    app.include_router(partner_data.pages)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
