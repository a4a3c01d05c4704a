"""Who may do what: the same user accounts and roles on the command line as in the web application.

A CLI identity (``--as USER``) is a user account, checked against the role the action needs, so the
Cabinet rule and the separation of duties are enforced once, whichever face is used.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.store.app_db import session_scope
from safer_communities.store.app_models import APPROVER, User, UserRole

# The roles of the web application (web.accounts.ROLES; a test keeps the two equal).
ROLES = ("viewer", "analyst", "editor", "approver", "admin")
EDITOR, ADMIN = "editor", "admin"


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InputError("A person's name is needed.", found="an empty name",
                         hint="Pass the name as it should appear in the record, e.g. --by 'Clare Platt'.")
    return name


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(sa.select(User).where(User.name == _clean(name)))


def grant(engine: Engine, name: str, role: str = APPROVER, *, by: str) -> None:
    """Give ``name`` the role (creating the user when new); only an admin may; granting twice changes
    nothing."""
    if role not in ROLES:
        raise InputError(f"Unknown role '{role}'.", found=role, hint=f"Roles are: {', '.join(ROLES)}.")
    with session_scope(engine) as session:
        by = require_role(session, by, ADMIN, "grant roles")
        user = get_user(session, name)
        if user is None:
            user = User(name=_clean(name))
            session.add(user)
            session.flush()
        if role not in user.role_names:
            session.add(UserRole(user_id=user.id, role=role, granted_by=by))


def revoke(engine: Engine, name: str, role: str = APPROVER, *, by: str) -> None:
    """Take a role away; only an admin may."""
    with session_scope(engine) as session:
        require_role(session, by, ADMIN, "revoke roles")
        user = get_user(session, name)
        if user is None or role not in user.role_names:
            raise NotFoundError(f"'{name}' does not hold the role '{role}'.", found=name,
                                hint="List who holds roles with 'safer framework approvers'.")
        session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == role))


def holders(engine: Engine, role: str = APPROVER) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(sa.select(User.name).join(UserRole).where(UserRole.role == role)
                                    .order_by(User.name)))


_HINTS = {
    APPROVER: "Under the Cabinet report's rule (recommendation ii) amendments are approved by the Director "
              "of Public Health, Wellbeing and Communities or their delegate. ",
    EDITOR: "Editors propose amendments and keep case reviews up to date. ",
}


def require_role(session: Session, name: str, role: str, action: str) -> str:
    """The cleaned name, or a refusal naming the role needed and who holds it."""
    user = get_user(session, name)
    if user is None or role not in user.role_names:
        held = session.scalars(sa.select(User.name).join(UserRole).where(UserRole.role == role)
                               .order_by(User.name)).all()
        raise PermissionDeniedError(
            f"{_clean(name)} does not hold the '{role}' role, so cannot {action}.",
            found=f"'{role}' is held by: {', '.join(held) if held else 'nobody yet'}",
            hint=_HINTS.get(role, "") + f"An admin grants the role with 'safer framework grant NAME "
                 f"--role {role} --as ADMIN' (or 'safer users set-role').",
        )
    return user.name
