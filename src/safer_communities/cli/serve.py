"""`safer serve`: run the web application with uvicorn (several workers share the two stores)."""

from __future__ import annotations

from typing import Annotated

import typer

from safer_communities.cli.common import console_err, settings_from
from safer_communities.store.app_db import open_app_db
from safer_communities.store.evidence import connect
from safer_communities.web.sessions import check_secret


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Worker processes (PostgreSQL app DB for more than one).")] = 1,
    proxy_headers: Annotated[bool, typer.Option("--proxy-headers",
                                                help="Trust X-Forwarded-For/-Proto from the proxy in front.")
                             ] = False,
) -> None:
    """Serve the dashboard, pages and /api/v1 (settings from SAFER_* and --db / --app-db)."""
    import os

    import uvicorn

    settings = settings_from(ctx)
    if not check_secret(settings):  # a default, empty or short secret: refused here, before any worker
        console_err.print("SAFER_SECRET_KEY cannot protect sessions: this public site starts with sign-in "
                          "switched off (set a long random secret to allow it).")
    connect(settings.db, read_only=True).close()  # fail now, with a hint, if the store is missing
    open_app_db(settings.app_db_url).dispose()  # bring the schema up to date once, before the workers
    if workers > 1 and settings.app_db_url.startswith("sqlite"):
        console_err.print("Several workers on a SQLite application database: fine for a trial; use "
                          "PostgreSQL in production (docs/deployment.md).")
    # Workers are separate processes: they rebuild the settings from the environment.
    os.environ["SAFER_DB"] = str(settings.db)
    os.environ["SAFER_APP_DB_URL"] = settings.app_db_url
    console_err.print(f"Open http://{host}:{port}/ (API document: http://{host}:{port}/api/v1/docs)")
    uvicorn.run("safer_communities.web.asgi:app", host=host, port=port, workers=workers,
                proxy_headers=proxy_headers, forwarded_allow_ips="*" if proxy_headers else None,
                log_level="info")
