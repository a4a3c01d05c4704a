"""Users, passwords, roles, login lockout and API tokens: the library behind ``safer users`` and login.

Roles are not ranked: each grants its own actions (see ``PERMISSIONS``); every signed-in user can read.
``approver`` is the same role ``safer framework grant`` gives, so the Cabinet rule is enforced once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.store.app_models import User, UserRole
from safer_communities.web.models import ApiToken, Credential, LoginFailure
from safer_communities.web.models_security import LoginGate
from safer_communities.web.sessions import end_all

ROLES = ("viewer", "analyst", "editor", "approver", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "build_report": frozenset({"analyst"}),
    "read_partner_records": frozenset({"analyst"}),
    "propose_amendment": frozenset({"editor"}),
    "update_action": frozenset({"editor"}),
    "decide_amendment": frozenset({"approver"}),
    "admin": frozenset({"admin"}),
}
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 12
TOKEN_TOUCH = timedelta(minutes=1)

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Account:
    """A signed-in user as the web layer sees it."""

    id: int
    name: str
    roles: frozenset[str]
    fingerprint: str

    def can(self, permission: str) -> bool:
        return bool(self.roles & PERMISSIONS[permission])


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InputError("A user name is needed.", found="an empty name",
                         hint="Pass the name, e.g. 'jsmith'.")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"Unknown role '{role}'.", found=role, hint=f"Roles are: {', '.join(ROLES)}.")
    return role


def check_password(password: str) -> str:
    """A password long enough to resist guessing (NCSC: length over complexity rules)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"The password is too short; use at least {MIN_PASSWORD} characters.",
                         found=f"{len(password)} characters",
                         hint="Three random words make a long password that is easy to remember.")
    return password


def _fingerprint(password_hash: str | None) -> str:
    """Changes when the password does, so a password change ends every session signed before it."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def add_user(engine: Engine, name: str, *, roles: list[str], password: str | None, by: str) -> None:
    """Create a user with roles and (optionally) a password; an existing name is refused."""
    name = _clean(name)
    roles = [_check_role(r) for r in roles] or ["viewer"]
    hashed = _hasher.hash(check_password(password)) if password is not None else None
    with session_scope(engine) as session:
        if session.scalar(sa.select(User).where(User.name == name)) is not None:
            raise InputError(f"The user '{name}' already exists.", found=name,
                             hint="Change roles with 'safer users set-role', or choose another name.")
        user = User(name=name)
        session.add(user)
        session.flush()
        for role in dict.fromkeys(roles):
            session.add(UserRole(user_id=user.id, role=role, granted_by=by))
        if hashed:
            session.add(Credential(user_id=user.id, password_hash=hashed, updated_at=utcnow()))


def _get(session: sa.orm.Session, name: str) -> User:
    user = session.scalar(sa.select(User).where(User.name == _clean(name)))
    if user is None:
        raise NotFoundError(f"There is no user '{name}'.", found=name,
                            hint="List users with 'safer users list'.")
    return user


def remove_user(engine: Engine, name: str) -> None:
    """Delete a user, their roles, password and tokens (the audit log keeps their name)."""
    with session_scope(engine) as session:
        session.delete(_get(session, name))


def set_roles(engine: Engine, name: str, roles: list[str], *, by: str) -> None:
    """Replace the user's roles with ``roles``."""
    roles = [_check_role(r) for r in roles]
    if not roles:
        raise InputError("At least one role is needed.", found="none",
                         hint=f"Give one or more of: {', '.join(ROLES)}; to end access use 'users remove'.")
    with session_scope(engine) as session:
        user = _get(session, name)
        session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
        for role in dict.fromkeys(roles):
            session.add(UserRole(user_id=user.id, role=role, granted_by=by))


def set_password(engine: Engine, name: str, password: str) -> None:
    hashed = _hasher.hash(check_password(password))
    with session_scope(engine) as session:
        user = _get(session, name)
        row = session.get(Credential, user.id)
        if row is None:
            session.add(Credential(user_id=user.id, password_hash=hashed, updated_at=utcnow()))
        else:
            row.password_hash, row.updated_at = hashed, utcnow()
        end_all(session, user.id)  # a new password signs every browser out


def list_users(engine: Engine) -> list[dict[str, object]]:
    with session_scope(engine) as session:
        users = session.scalars(sa.select(User).order_by(User.name)).all()
        with_password = set(session.scalars(sa.select(Credential.user_id)))
        return [{"name": u.name, "roles": sorted(u.role_names), "password": u.id in with_password,
                 "created_at": as_utc(u.created_at).isoformat()} for u in users]


def account(engine: Engine, user_id: int) -> Account | None:
    """The user behind a session, read fresh so a role change or removal applies at once."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        cred = session.get(Credential, user_id)
        return Account(user.id, user.name, frozenset(user.role_names),
                       _fingerprint(cred.password_hash if cred else None))


def locked_until(session: sa.orm.Session, name: str, ip: str, now: datetime) -> datetime | None:
    """When a lockout of this name or address ends (None when not locked).

    Locked while ``MAX_FAILURES`` failures for the name, or from the address, fall in the last
    ``LOCK_WINDOW``; the lock ends ``LOCK_WINDOW`` after the oldest of those failures.
    """
    since = now - LOCK_WINDOW
    ends = []
    for column, value in ((LoginFailure.username, name), (LoginFailure.ip, ip)):
        times = session.scalars(sa.select(LoginFailure.at).where(column == value, LoginFailure.at > since)
                                .order_by(LoginFailure.at.desc()).limit(MAX_FAILURES)).all()
        if len(times) >= MAX_FAILURES:
            ends.append(as_utc(times[-1]) + LOCK_WINDOW)
    return max(ends) if ends else None


def _reserve_attempt(engine: Engine, name: str, ip: str, now: datetime) -> int:
    """Count the failures and book this attempt as one, atomically; the id of the booked row.

    The first statement updates the one ``login_gate`` row, which takes its row lock (PostgreSQL) or
    the database's write lock (SQLite) until the commit, so concurrent attempts pass here one at a
    time: each sees the failures booked before it, and at most ``MAX_FAILURES`` attempts per name or
    address are ever checked against a password, however many arrive at once.
    """
    with session_scope(engine) as session:
        bumped = session.execute(sa.update(LoginGate).where(LoginGate.id == 1)
                                 .values(attempts=LoginGate.attempts + 1)).rowcount
        if not bumped:  # a database made without migration 0005's row
            session.add(LoginGate(id=1, attempts=1))
            session.flush()
        until = locked_until(session, name, ip, now)
        if until is not None:
            raise PermissionDeniedError(
                "Too many failed sign-in attempts; sign-in is locked for a while.",
                found=f"locked until {until:%H:%M} UTC",
                hint="Wait, then try again; an administrator can reset the password "
                     "with 'safer users passwd'.")
        booked = LoginFailure(at=now, username=name[:200], ip=ip[:64])
        session.add(booked)
        session.flush()
        return booked.id


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(engine: Engine, name: str, password: str, ip: str) -> Account:
    """The account for a correct name and password, or ``PermissionDeniedError`` (the same message
    whether the name or the password was wrong, so names cannot be discovered).

    The attempt is booked as a failure before the password is checked (``_reserve_attempt``) and the
    booking is removed on success, so the lockout holds against concurrent guesses.
    """
    name = " ".join(name.split())
    now = utcnow()
    booked = _reserve_attempt(engine, name, ip, now)
    with session_scope(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name)) if name else None
        cred = session.get(Credential, user.id) if user is not None else None
        ok = _verify(cred.password_hash if cred else _DUMMY_HASH, password) and cred is not None
        if ok and user is not None and cred is not None:
            session.execute(sa.delete(LoginFailure).where(
                sa.or_(LoginFailure.username == name, LoginFailure.id == booked)))
            if _hasher.check_needs_rehash(cred.password_hash):
                cred.password_hash = _hasher.hash(password)
            return Account(user.id, user.name, frozenset(user.role_names), _fingerprint(cred.password_hash))
    raise PermissionDeniedError("The user name or password is not right.", found=name or "no name",
                                hint=f"Check both and try again; after {MAX_FAILURES} failures sign-in is "
                                     f"locked for {int(LOCK_WINDOW.total_seconds() // 60)} minutes.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, label: str) -> str:
    """A new API token for ``name``; shown once, only its hash is kept."""
    token = "sc_" + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        user = _get(session, name)
        session.add(ApiToken(user_id=user.id, name=label or "token", token_hash=token_hash(token),
                             created_at=utcnow()))
    return token


def revoke_tokens(engine: Engine, name: str) -> int:
    with session_scope(engine) as session:
        user = _get(session, name)
        rows = session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id,
                                                         ApiToken.revoked_at.is_(None))).all()
        for row in rows:
            row.revoked_at = utcnow()
        return len(rows)


def token_account(engine: Engine, token: str) -> Account | None:
    """The account an API token acts for (None when unknown or revoked)."""
    with session_scope(engine) as session:
        row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                       ApiToken.revoked_at.is_(None)))
        if row is None:
            return None
        now = utcnow()
        if row.last_used_at is None or now - as_utc(row.last_used_at) > TOKEN_TOUCH:
            row.last_used_at = now  # at most once a minute, so busy partners do not queue writes
        user = session.get(User, row.user_id)
        return Account(user.id, user.name, frozenset(user.role_names), "token") if user else None
