"""Framework register, its amendments and versions; minimal users and roles.

Revision ID: 0001_framework
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_framework"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(200)),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_user_roles_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
    )
    op.create_table(
        "framework_amendments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text),
        sa.Column("authority", sa.Text),
        sa.Column("consulted", sa.String(300)),
        sa.Column("published_version", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_framework_amendments"),
        sa.CheckConstraint("status IN ('proposed', 'approved', 'rejected')",
                           name="ck_framework_amendments_status"),
    )
    op.create_table(
        "framework_versions",
        sa.Column("number", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("amendment_id", sa.Integer),
        sa.ForeignKeyConstraint(["amendment_id"], ["framework_amendments.id"],
                                name="fk_framework_versions_amendment_id_framework_amendments"),
        sa.PrimaryKeyConstraint("number", name="pk_framework_versions"),
    )
    op.create_table(
        "framework_entries",
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("entry_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["version"], ["framework_versions.number"], ondelete="CASCADE",
                                name="fk_framework_entries_version_framework_versions"),
        sa.PrimaryKeyConstraint("version", "kind", "entry_id", name="pk_framework_entries"),
    )


def downgrade() -> None:
    for table in ("framework_entries", "framework_versions", "framework_amendments", "user_roles", "users"):
        op.drop_table(table)
