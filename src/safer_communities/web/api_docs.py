"""``/api/v1/docs``: Swagger UI served from the package (PyPI ``fastapi-offline``'s copy of Swagger UI 5,
which reads OpenAPI 3.1 as FastAPI writes it; ``swagger-ui-bundle`` 1.1.0 holds Swagger UI 4, which
refused the document: "does not specify a valid version field"), never a CDN.

FastAPI's default docs page loads Swagger UI from jsDelivr and starts it with an inline script: the
site's own Content-Security-Policy (``script-src 'self'``) blocks both, so offline it was blank. Here
the assets and the start-up script are files of this site.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/api/v1/docs/assets"
_PAGE = f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>safer-communities API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/start.js"></script>
</body>
</html>
"""
_START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""


def install(app: FastAPI) -> None:
    """Mount the Swagger UI files and the docs page (call with ``docs_url=None`` on the app)."""
    from pathlib import Path

    import fastapi_offline

    static = Path(fastapi_offline.__file__).with_name("static")
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="api-docs-assets")

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(_PAGE)

    @app.get("/api/v1/docs/start.js", include_in_schema=False)
    def api_docs_start() -> Response:
        return Response(_START, media_type="text/javascript")
