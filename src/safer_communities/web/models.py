"""Tables of the web application (migration ``0003_web``): credentials, login failures, tokens, audit.

Kept apart from ``store.app_models`` so the register's ``users`` table stays small: a user who only
approves amendments from the command line needs no password.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from safer_communities.store.app_db import Base, utcnow


class Credential(Base):
    """The argon2 hash of one user's password."""

    __tablename__ = "user_credentials"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """One failed login; counted per user name and per address so every worker sees the same lockout."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    username: Mapped[str] = mapped_column(sa.String(200))
    ip: Mapped[str] = mapped_column(sa.String(64))


class ApiToken(Base):
    """A bearer token for a partner system; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what, when, from where, to which object. The database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(60))
    object: Mapped[str] = mapped_column(sa.String(300))
    ip: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str | None] = mapped_column(sa.Text)


class ReportJob(Base):
    """A needs assessment being built in the background (migration ``0004_report_jobs``): every worker
    reads the same row, so the page that polls need not be served by the worker that builds."""

    __tablename__ = "report_jobs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    area_code: Mapped[str] = mapped_column(sa.String(20))
    period: Mapped[str] = mapped_column(sa.String(40))
    fmt: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    output_dir: Mapped[str] = mapped_column(sa.String(1000))
    file_name: Mapped[str | None] = mapped_column(sa.String(300))
    error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        sa.Index("ix_report_jobs_created_at", "created_at"),
    )
