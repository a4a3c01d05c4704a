"""Prevention targeting: strategy actions linked to forecast cells (issue 15).

Revision ID: 0008_prevention
Revises: 0007_sharing
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0008_prevention"
down_revision = "0007_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the migration chain for issue 15; no schema change yet."""


def downgrade() -> None:
    """Nothing to undo."""
