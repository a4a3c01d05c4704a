"""Sessions that cannot be forged or replayed: a strong secret, server-side session records.

The session cookie is signed (``web.security.Signer``) but carries only a random token; the session
itself is a row of ``web_sessions`` (the token's SHA-256, the user, their password fingerprint, the
expiry). So a cookie forged with a leaked or default secret names no session, signing out deletes the
row (an old cookie is then worthless), and a user without a password can never hold one.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.config import Settings
from safer_communities.errors import SaferError
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.store.app_models import User
from safer_communities.web.models import Credential
from safer_communities.web.models_security import WebSession

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
# Secrets that are as good as none: the shipped default and the placeholders of our own docs.
KNOWN_SECRETS = frozenset({str(Settings.model_fields["secret_key"].default), "change-me", "secret",
                           "changeme", "test", "dev"})
TOKEN_MAX_LENGTH = 100


class InsecureSettingsError(SaferError):
    """The settings would let someone sign in as anyone (a default, empty or short secret)."""

    code = "insecure_settings"


def secret_problem(settings: Settings) -> str | None:
    """Why ``secret_key`` cannot protect sessions, or None when it can."""
    key = settings.secret_key or ""
    if not key.strip():
        return "it is empty"
    if key.strip().lower() in KNOWN_SECRETS:
        return "it is the default"
    if len(key) < MIN_SECRET_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_SECRET_LENGTH}"
    return None


def check_secret(settings: Settings) -> bool:
    """Whether sessions may be used. Outside public mode a weak secret refuses to start (sign-in
    would be forgeable); in public mode the site starts with sign-in switched off, so the open
    aggregates are still served but no cookie is ever issued or accepted."""
    problem = secret_problem(settings)
    if problem is None:
        return True
    if not settings.public_mode:
        raise InsecureSettingsError(
            f"The secret that signs sessions cannot be used: {problem}.",
            found="SAFER_SECRET_KEY=" + ("(not set)" if not settings.secret_key else
                                         f"{len(settings.secret_key)} characters"),
            hint="Set SAFER_SECRET_KEY to a long random value, the same for every worker: export "
                 "SAFER_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'). "
                 "(A public, aggregates-only site may start without one: SAFER_PUBLIC_MODE=true.)",
        )
    log.warning("SAFER_SECRET_KEY cannot protect sessions (%s): sign-in is switched off; only the "
                "public aggregates and API tokens work.", problem)
    return False


def fingerprint(password_hash: str) -> str:
    """Changes when the password does, so a new password ends every session signed in before it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(engine: Engine, user_id: int, *, max_age_s: int, ip: str) -> str:
    """A new session for a user who has a password (refused otherwise); returns the cookie's token.
    Expired rows are cleared on the way, so the table holds only live sessions."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        cred = session.get(Credential, user_id)
        if cred is None:
            raise InsecureSettingsError("A session can only be given to a user with a password.",
                                        found=f"user {user_id} has none",
                                        hint="Set one with 'safer users passwd NAME'.")
        session.execute(sa.delete(WebSession).where(WebSession.expires_at < now))
        session.add(WebSession(id=_key(token), user_id=user_id, fingerprint=fingerprint(cred.password_hash),
                               created_at=now, expires_at=now + timedelta(seconds=max_age_s), ip=ip[:64]))
    return token


def token_of(payload: Any) -> str | None:
    """The session token in a verified cookie payload, or None for anything else (never an error: a
    malformed cookie is simply not a session)."""
    if not isinstance(payload, dict) or set(payload) != {"s"}:
        return None
    token = payload["s"]
    if not isinstance(token, str) or not 20 <= len(token) <= TOKEN_MAX_LENGTH:
        return None
    return token


def user_of(engine: Engine, token: str) -> tuple[int, str, frozenset[str]] | None:
    """(id, name, roles) of a live session's user: the row exists, has not expired, the user still
    exists and still has the password the session was started with."""
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(WebSession, _key(token))
        if row is None or as_utc(row.expires_at) <= now:
            return None
        cred = session.get(Credential, row.user_id)
        user = session.get(User, row.user_id)
        if user is None or cred is None or fingerprint(cred.password_hash) != row.fingerprint:
            return None
        return user.id, user.name, frozenset(user.role_names)


def end(engine: Engine, token: str) -> None:
    """Sign out: the session's row is deleted, so its cookie never works again."""
    with session_scope(engine) as session:
        session.execute(sa.delete(WebSession).where(WebSession.id == _key(token)))


def end_all(session: sa.orm.Session, user_id: int) -> None:
    """Every session of a user (a new password, a removed credential)."""
    session.execute(sa.delete(WebSession).where(WebSession.user_id == user_id))


def count(engine: Engine, user_id: int | None = None) -> int:
    """Live and expired session rows (of one user), for the CLI and the tests."""
    query = sa.select(sa.func.count()).select_from(WebSession)
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    with session_scope(engine) as session:
        return int(session.scalar(query) or 0)
