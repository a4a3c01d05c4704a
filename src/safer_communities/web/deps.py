"""What routes depend on: settings, the two databases, the signed-in account and its permissions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import duckdb
from fastapi import Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from safer_communities.config import Settings
from safer_communities.errors import PermissionDeniedError
from safer_communities.store.evidence import connect
from safer_communities.web import accounts, sessions
from safer_communities.web.accounts import Account
from safer_communities.web.errors import CsrfError, NotAuthenticatedError
from safer_communities.web.security import CSRF_FIELD, CSRF_HEADER, Signer

PUBLIC = Account(0, "public", frozenset(), "public")


async def settings(request: Request) -> Settings:
    return request.app.state.settings


async def engine(request: Request) -> Engine:
    return request.app.state.engine


async def signer(request: Request) -> Signer:
    return request.app.state.signer


class LazyEvidence:
    """A read-only evidence connection opened on first use: cached answers never open the store."""

    def __init__(self, path: object) -> None:
        self._path = path
        self._con: duckdb.DuckDBPyConnection | None = None

    def __getattr__(self, name: str) -> object:
        if self._con is None:
            self._con = connect(self._path, read_only=True)  # type: ignore[arg-type]
        return getattr(self._con, name)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


async def evidence(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """The evidence store, read-only, for one request (many workers can share it); opened lazily, on
    the first query, so an answer from the cache never opens the file."""
    path = request.app.state.settings.db
    if not path.exists():
        connect(path, read_only=True)  # raises StoreError with its hint
    con = LazyEvidence(path)
    try:
        yield con  # type: ignore[misc]
    finally:
        con.close()


TOKEN_CACHE_S = 10.0


def _token_account(request: Request, token: str) -> Account | None:
    """A token's account, remembered for ``TOKEN_CACHE_S`` seconds per worker so a busy partner
    system does not cost a database round trip per request (a revoked token stops within that time)."""
    cache: dict[str, tuple[float, Account | None]] = request.app.state.token_cache
    now = time.monotonic()
    hit = cache.get(token)
    if hit is not None and now - hit[0] < TOKEN_CACHE_S:
        return hit[1]
    found = accounts.token_account(request.app.state.engine, token)
    if len(cache) > 1000:
        cache.clear()
    if found is not None:
        cache[token] = (now, found)
    return found


def _cached_bearer(request: Request) -> Account | None:
    """The account of a bearer token remembered by this worker (no thread, no database)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    hit = request.app.state.token_cache.get(header[7:].strip())
    if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
        return hit[1]
    return None


def optional_account(request: Request) -> Account | None:
    """The signed-in user (session cookie or ``Authorization: Bearer``), or None. A cookie counts
    only when it names a live server-side session (``web.sessions``); a malformed one is no session."""
    if "account" in request.state._state:
        return request.state.account
    app_engine: Engine = request.app.state.engine
    found: Account | None = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        found = _token_account(request, header[7:].strip())
        if found is None:
            raise NotAuthenticatedError("The API token is not valid.", found="an unknown or revoked token",
                                        hint="Ask an administrator for a token: safer users token NAME.")
    elif request.app.state.sessions_enabled:
        token = sessions.token_of(request.app.state.signer.session(request))
        user = sessions.user_of(app_engine, token) if token is not None else None
        if user is not None:
            found = Account(user[0], user[1], user[2], "session")
    request.state.account = found
    return found


def require(permission: str, *, public: bool = False) -> Callable[..., Account]:
    """A dependency: the account if it holds ``permission``; in public mode, ``public`` reads are open."""

    async def dependency(request: Request) -> Account:
        account = _cached_bearer(request)
        if account is None:
            account = await run_in_threadpool(optional_account, request)
        if account is None:
            if public and request.app.state.settings.public_mode:
                return PUBLIC
            raise NotAuthenticatedError("Sign in to see this.", found="no session or API token",
                                        hint="Sign in at /login; partner systems send 'Authorization: "
                                             "Bearer TOKEN'.")
        if not account.can(permission):
            needed = ", ".join(sorted(accounts.PERMISSIONS[permission]))
            raise PermissionDeniedError(f"Your roles do not allow this ({permission.replace('_', ' ')}).",
                                        found=f"{account.name}: {', '.join(sorted(account.roles)) or 'none'}",
                                        hint=f"It needs the role: {needed}. Ask an administrator.")
        return account

    return dependency


async def csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token does not match its cookie."""
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not request.app.state.signer.csrf_ok(request, submitted):
        raise CsrfError("The form has expired or did not come from this site.",
                        found="a missing or wrong security token",
                        hint="Go back, reload the page and submit it again.")
