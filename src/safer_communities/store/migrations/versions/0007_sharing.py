"""Information-sharing register and partner feeds (issue 12).

Revision ID: 0007_sharing
Revises: 0006_governance
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0007_sharing"
down_revision = "0006_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the migration chain for issue 12; no schema change yet."""


def downgrade() -> None:
    """Nothing to undo."""
