"""Tables of the application database. Other parts add theirs here (or in a module imported here).

``users`` and ``user_roles`` are deliberately small: the web issue extends ``users`` (password hash,
e-mail, ...) by its own migration; roles stay rows, so a new role needs no schema change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safer_communities.store.app_db import Base, utcnow

APPROVER = "approver"


class User(Base):
    """A person who proposes, approves or otherwise acts in the application."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                 lazy="selectin")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class UserRole(Base):
    """One role held by one user (``approver`` approves framework amendments)."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    granted_by: Mapped[str | None] = mapped_column(sa.String(200))
    user: Mapped[User] = relationship(back_populates="roles")


class FrameworkVersion(Base):
    """A published version of the framework register: numbered, dated, reproducible exactly."""

    __tablename__ = "framework_versions"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text)
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_amendments.id"))


class FrameworkEntry(Base):
    """One entry (duty, issue, service, partner, activity, evidence) as published in one version.

    The full snapshot of every version is kept, row by row, so any version is reproduced exactly
    without replaying diffs.
    """

    __tablename__ = "framework_entries"

    version: Mapped[int] = mapped_column(sa.ForeignKey("framework_versions.number", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    entry_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class FrameworkAmendment(Base):
    """A proposed change (who, what, why) and its decision under the Cabinet report's rule."""

    __tablename__ = "framework_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposed_by: Mapped[str] = mapped_column(sa.String(200))
    proposed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    base_version: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    authority: Mapped[str | None] = mapped_column(sa.Text)
    consulted: Mapped[str | None] = mapped_column(sa.String(300))
    published_version: Mapped[int | None] = mapped_column(sa.Integer)
    # Governance (migration 0006): the route and the rules that classed it, the consultation as the
    # approver entered it, and the Cabinet decision when the amendment was not minor.
    route: Mapped[str | None] = mapped_column(sa.String(20))
    route_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    consulted_on: Mapped[date | None] = mapped_column(sa.Date)
    consultation_outcome: Mapped[str | None] = mapped_column(sa.Text)
    cabinet_reference: Mapped[str | None] = mapped_column(sa.String(300))
    cabinet_date: Mapped[date | None] = mapped_column(sa.Date)

    __table_args__ = (
        sa.CheckConstraint("status IN ('proposed', 'approved', 'rejected')", name="status"),
    )


from safer_communities.store import (  # noqa: E402
    app_models_governance,  # noqa: F401  (case reviews)
    app_models_prevention,  # noqa: F401  (issue 15: action places)
    app_models_sharing,  # noqa: F401  (issue 12: sharing agreements)
)
