"""Rendered pages, cached per page, filters, user and version of their inputs.

A page is the same HTML for a user until the store, the application database or the day changes,
except for its CSRF token, which belongs to the browser. The page is rendered once with a placeholder
token (random per process, so no page text can forge it) and the placeholder is replaced by the
request's own token on every answer; the CSRF cookie is then set exactly as an uncached render sets it.
The user's id, name and roles (the navigation, the "Signed in as" line, the editor's forms) are part of
the key, so no user is ever sent another's page, and the public never a signed-in user's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from safer_communities.web import cache
from safer_communities.web.accounts import Account
from safer_communities.web.routes.common import render

PLACEHOLDER = "csrf-" + secrets.token_hex(16)
"""Rendered where the CSRF token goes; a new random value in every process."""

Built = tuple[str, dict[str, Any], int]
"""What a page's builder returns: its template, its context and its status code."""


async def page(request: Request, account: Account, key: tuple[Hashable, ...], build: Callable[[], Built], *,
               app_db: bool = True) -> HTMLResponse:
    """The page ``build()`` describes, rendered once per version of its inputs and user.

    A cached page is answered on the event loop: its key costs a ``stat`` and the app database's
    one-row change stamp, where a hop to the thread pool costs more than the rest of the answer (about
    0.2 ms of CPU a request on the development machine). Only a page to render goes to the thread pool.
    """
    state = request.app.state
    engine = state.engine if app_db else None
    # The anonymous public reader is id 0 (no user row has it): public and signed-in pages differ in
    # what may be shown (off-grid periods), whatever a user is called.
    full = ("page", request.url.path, *key, account.id, account.name, tuple(sorted(account.roles)),
            *cache.versions(state.settings, engine))

    def rendered() -> tuple[bytes, int]:
        template, context, status = build()
        response = render(request, template, {**context, "csrf_token": PLACEHOLDER}, account=account,
                          status_code=status)
        return bytes(response.body), response.status_code

    body, status = await cache.answer(full, rendered)
    token = state.signer.csrf_token(request)  # also sets the cookie (middleware) when the browser has none
    return HTMLResponse(body.replace(PLACEHOLDER.encode(), token.encode()), status_code=status)
