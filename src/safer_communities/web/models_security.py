"""Tables of issue 11's web security (migration ``0005_security``): server-side sessions and the lock
that makes the sign-in lockout count atomic.

Kept in their own module so the other web tables (``web.models``) are untouched; ``web.sessions`` and
``web.accounts`` import it, which registers the tables on ``Base``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from safer_communities.store.app_db import Base, utcnow


class WebSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is kept here, so a
    copy of the database cannot be replayed as cookies, and deleting the row ends the session."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    ip: Mapped[str] = mapped_column(sa.String(64))


class LoginGate(Base):
    """A single row every sign-in attempt updates first: the update takes the row lock (PostgreSQL) or
    the write lock (SQLite), so counting failures and reserving the next attempt happen one at a time
    across every worker and thread."""

    __tablename__ = "login_gate"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attempts: Mapped[int] = mapped_column(sa.BigInteger, default=0)
