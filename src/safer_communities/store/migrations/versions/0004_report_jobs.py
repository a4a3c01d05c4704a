"""Report jobs: needs assessments built in the background, visible to every web worker.

Revision ID: 0004_report_jobs
Revises: 0003_web
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_report_jobs"
down_revision = "0003_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("fmt", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("output_dir", sa.String(1000), nullable=False),
        sa.Column("file_name", sa.String(300)),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_report_jobs_status"),
        sa.PrimaryKeyConstraint("id", name="pk_report_jobs"),
    )
    op.create_index("ix_report_jobs_created_at", "report_jobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_report_jobs_created_at", table_name="report_jobs")
    op.drop_table("report_jobs")
