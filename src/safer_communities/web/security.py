"""Signed session cookies with expiry, CSRF tokens (signed double-submit cookie) and security headers.

The session cookie only carries the random token of a server-side session (``web.sessions``): the
signature keeps garbage away from the database, the row decides who is signed in.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from safer_communities.config import Settings

SESSION_COOKIE = "safer_session"
CSRF_COOKIE = "safer_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class Signer:
    """Signs the session and CSRF cookies with ``Settings.secret_key`` (different salts)."""

    def __init__(self, settings: Settings) -> None:
        self.max_age = int(settings.session_max_age_s)
        # "v2": cookies of the earlier format (user id and fingerprint) are not even read.
        self._session = URLSafeTimedSerializer(settings.secret_key, salt="safer-session-v2")
        self._csrf = URLSafeTimedSerializer(settings.secret_key, salt="safer-csrf")

    def session(self, request: Request) -> Any:
        """The verified session payload, or None when absent, tampered with, older than ``max_age`` or
        not even a signed value (any malformed cookie is no session, never an error)."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw or len(raw) > 4096:
            return None
        try:
            return self._session.loads(raw, max_age=self.max_age)
        except (BadData, ValueError, TypeError, UnicodeError):
            return None

    def start_session(self, request: Request, response: Response, token: str) -> None:
        value = self._session.dumps({"s": token})
        _set_cookie(request, response, SESSION_COOKIE, value, self.max_age)
        # A new CSRF token at sign-in, so a token planted before it is worthless (session fixation).
        self.new_csrf(request, response)

    def end_session(self, request: Request, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=_https(request), httponly=True,
                               samesite="lax")

    def csrf_token(self, request: Request) -> str:
        """The token forms must carry: the one in the request's cookie, or a new one (set by middleware)."""
        token = self._csrf_from_cookie(request)
        if token is None:
            token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
            request.state.new_csrf = token
        return token

    def new_csrf(self, request: Request, response: Response) -> None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
        self.set_csrf_cookie(request, response, token)

    def set_csrf_cookie(self, request: Request, response: Response, token: str) -> None:
        _set_cookie(request, response, CSRF_COOKIE, self._csrf.dumps(token), self.max_age)

    def _csrf_from_cookie(self, request: Request) -> str | None:
        raw = request.cookies.get(CSRF_COOKIE)
        if not raw:
            return None
        try:
            token = self._csrf.loads(raw, max_age=self.max_age)
        except (BadData, ValueError, TypeError, UnicodeError):
            return None
        return token if isinstance(token, str) else None

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        expected = self._csrf_from_cookie(request)
        return bool(expected and submitted) and hmac.compare_digest(expected, str(submitted))


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=_https(request), httponly=True,
                        samesite="lax")


def client_ip(request: Request) -> str:
    """The client's address (behind a proxy, run uvicorn with --proxy-headers so this is the real one)."""
    return request.client.host if request.client else "-"


def security_headers(response: Response, tile_url: str | None) -> None:
    """A strict Content Security Policy: every script and style is ours; images from tiles if set."""
    img = "'self' data:"
    if tile_url:
        from urllib.parse import urlsplit

        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
            img += f" {parts.scheme}://{host}"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
