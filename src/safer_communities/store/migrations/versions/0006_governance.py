"""Governance: amendment separation of duties, case reviews, compliance (issue 14).

Revision ID: 0006_governance
Revises: 0005_security
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0006_governance"
down_revision = "0005_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the migration chain for issue 14; no schema change yet."""


def downgrade() -> None:
    """Nothing to undo."""
