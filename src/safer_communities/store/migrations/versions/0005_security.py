"""Security: server-side web sessions and the sign-in lock row (issue 11).

Revision ID: 0005_security
Revises: 0004_report_jobs
Create Date: 2026-12-01

``web_sessions`` holds one row per signed-in browser (the SHA-256 of the cookie's random token), so
signing out deletes the row and an old cookie is worthless. ``login_gate`` is one row that every
sign-in attempt updates before it counts failures, which makes the lockout count atomic.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_security"
down_revision = "0004_report_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_web_sessions_user_id_users"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    gate = op.create_table(
        "login_gate",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("attempts", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_gate"),
    )
    op.bulk_insert(gate, [{"id": 1, "attempts": 0}])


def downgrade() -> None:
    op.drop_table("login_gate")
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
