"""Information-sharing register and partner feeds (issue 12).

Revision ID: 0007_sharing
Revises: 0006_governance
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sharing"
down_revision = "0006_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_agreements",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("legal_gateway", sa.Text, nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("schemas", sa.Text, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("dpia_date", sa.Date),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("review_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'active', 'suspended', 'ended')",
                           name="ck_sharing_agreements_status"),
        sa.CheckConstraint("retention_days > 0", name="ck_sharing_agreements_retention_days"),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_agreements"),
    )


def downgrade() -> None:
    op.drop_table("sharing_agreements")
