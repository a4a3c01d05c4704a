"""Prevention targeting: strategy actions linked to forecast cells (issue 15).

Revision ID: 0008_prevention
Revises: 0007_sharing
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_prevention"
down_revision = "0007_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_action_places",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("action_pk", sa.Integer, nullable=False),
        sa.Column("issue", sa.String(100), nullable=False),
        sa.Column("forecast_month", sa.String(7), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("cell_size_m", sa.Float, nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("expected_hit_rate", sa.Float, nullable=False),
        sa.Column("cells", sa.JSON, nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_pk"], ["strategy_actions.pk"], ondelete="CASCADE",
                                name="fk_strategy_action_places_action_pk_strategy_actions"),
        sa.PrimaryKeyConstraint("pk", name="pk_strategy_action_places"),
        sa.CheckConstraint("share > 0 AND share < 1", name="ck_strategy_action_places_share"),
    )
    op.create_index("ix_strategy_action_places_action_pk", "strategy_action_places", ["action_pk"])


def downgrade() -> None:
    op.drop_index("ix_strategy_action_places_action_pk", table_name="strategy_action_places")
    op.drop_table("strategy_action_places")
