"""The change stamp web workers check before answering from their caches (issue 16).

Revision ID: 0011_generation
Revises: 0010_review_signoffs
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from safer_communities.store import generation

revision = "0011_generation"
down_revision = "0010_review_signoffs"
branch_labels = None
depends_on = None

# Frozen here (not read from generation.WATCHED, which grows with later migrations).
TABLES = ("framework_versions", "framework_entries", "framework_amendments", "strategies",
          "strategy_objectives", "strategy_actions", "strategy_indicators", "strategy_consultations",
          "strategy_action_places", "case_reviews", "case_review_recommendations", "sharing_agreements")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    generation.create(op.execute, dialect)
    generation.watch(op.execute, dialect, TABLES)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    generation.unwatch(op.execute, dialect, TABLES)
    generation.drop(op.execute, dialect)
