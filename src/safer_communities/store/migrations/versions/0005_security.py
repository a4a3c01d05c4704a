"""Security: server-side session generations and login attempts (issue 11).

Revision ID: 0005_security
Revises: 0004_report_jobs
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0005_security"
down_revision = "0004_report_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the migration chain for issue 11; no schema change yet."""


def downgrade() -> None:
    """Nothing to undo."""
