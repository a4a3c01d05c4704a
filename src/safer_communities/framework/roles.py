"""Who may approve amendments: a minimal users-and-roles register the web issue extends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.store.app_db import session_scope
from safer_communities.store.app_models import APPROVER, User, UserRole

ROLES = (APPROVER,)


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InputError("A person's name is needed.", found="an empty name",
                         hint="Pass the name as it should appear in the record, e.g. --by 'Clare Platt'.")
    return name


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(sa.select(User).where(User.name == _clean(name)))


def grant(engine: Engine, name: str, role: str = APPROVER, *, by: str | None = None) -> None:
    """Give ``name`` the role (creating the user when new); granting twice changes nothing."""
    if role not in ROLES:
        raise InputError(f"Unknown role '{role}'.", found=role, hint=f"Roles are: {', '.join(ROLES)}.")
    with session_scope(engine) as session:
        user = get_user(session, name)
        if user is None:
            user = User(name=_clean(name))
            session.add(user)
            session.flush()
        if role not in user.role_names:
            session.add(UserRole(user_id=user.id, role=role, granted_by=by))


def revoke(engine: Engine, name: str, role: str = APPROVER) -> None:
    with session_scope(engine) as session:
        user = get_user(session, name)
        if user is None or role not in user.role_names:
            raise NotFoundError(f"'{name}' does not hold the role '{role}'.", found=name,
                                hint="List who holds roles with 'safer framework approvers'.")
        session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == role))


def holders(engine: Engine, role: str = APPROVER) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(sa.select(User.name).join(UserRole).where(UserRole.role == role)
                                    .order_by(User.name)))


def require_role(session: Session, name: str, role: str, action: str) -> str:
    """The cleaned name, or a refusal naming the role needed and who holds it."""
    user = get_user(session, name)
    if user is None or role not in user.role_names:
        held = session.scalars(sa.select(User.name).join(UserRole).where(UserRole.role == role)
                               .order_by(User.name)).all()
        raise PermissionDeniedError(
            f"{_clean(name)} does not hold the '{role}' role, so cannot {action}.",
            found=f"'{role}' is held by: {', '.join(held) if held else 'nobody yet'}",
            hint="Under the Cabinet report's rule (recommendation ii) amendments are approved by the "
                 "Director of Public Health, Wellbeing and Communities or their delegate; grant the role "
                 f"with 'safer framework grant NAME --role {role}'.",
        )
    return user.name
