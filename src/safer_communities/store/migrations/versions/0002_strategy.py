"""Strategies, their consultations, objectives, actions and indicators.

Revision ID: 0002_strategy
Revises: 0001_framework
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_strategy"
down_revision = "0001_framework"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("published_on", sa.Date),
        sa.Column("next_review", sa.Date, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("framework_version", sa.Integer, nullable=False),
        sa.Column("definitions_version", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_strategies"),
        sa.CheckConstraint("period_end > period_start", name="ck_strategies_period"),
    )
    op.create_table(
        "strategy_consultations",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("strategy_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("partner_id", sa.String(100)),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("organisation", sa.String(300), nullable=False),
        sa.Column("consulted_on", sa.Date, nullable=False),
        sa.Column("method", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], ondelete="CASCADE",
                                name="fk_strategy_consultations_strategy_id_strategies"),
        sa.PrimaryKeyConstraint("pk", name="pk_strategy_consultations"),
    )
    op.create_table(
        "strategy_objectives",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("strategy_id", sa.String(100), nullable=False),
        sa.Column("objective_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("issues", sa.JSON, nullable=False),
        sa.Column("duties", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], ondelete="CASCADE",
                                name="fk_strategy_objectives_strategy_id_strategies"),
        sa.PrimaryKeyConstraint("pk", name="pk_strategy_objectives"),
        sa.UniqueConstraint("strategy_id", "objective_id", name="uq_strategy_objectives_strategy_id"),
    )
    op.create_table(
        "strategy_actions",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("objective_pk", sa.Integer, nullable=False),
        sa.Column("action_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner_kind", sa.String(20)),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("start_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("activities", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["objective_pk"], ["strategy_objectives.pk"], ondelete="CASCADE",
                                name="fk_strategy_actions_objective_pk_strategy_objectives"),
        sa.PrimaryKeyConstraint("pk", name="pk_strategy_actions"),
        sa.CheckConstraint("status IN ('not-started', 'in-progress', 'complete', 'delayed', 'cancelled')",
                           name="ck_strategy_actions_status"),
        sa.CheckConstraint("due_on >= start_on", name="ck_strategy_actions_dates"),
    )
    op.create_table(
        "strategy_indicators",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("objective_pk", sa.Integer, nullable=False),
        sa.Column("indicator_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("issue", sa.String(100), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("period_rule", sa.String(40), nullable=False),
        sa.Column("baseline_period", sa.String(40), nullable=False),
        sa.Column("baseline_value", sa.Float),
        sa.Column("baseline_note", sa.Text),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("target_value", sa.Float),
        sa.Column("target_change_pct", sa.Float),
        sa.Column("target_date", sa.Date, nullable=False),
        sa.Column("amber_tolerance_pct", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(["objective_pk"], ["strategy_objectives.pk"], ondelete="CASCADE",
                                name="fk_strategy_indicators_objective_pk_strategy_objectives"),
        sa.PrimaryKeyConstraint("pk", name="pk_strategy_indicators"),
        sa.CheckConstraint("measure IN ('count', 'rate', 'harm', 'ksi')",
                           name="ck_strategy_indicators_measure"),
        sa.CheckConstraint("direction IN ('decrease', 'increase')", name="ck_strategy_indicators_direction"),
    )


def downgrade() -> None:
    for table in ("strategy_indicators", "strategy_actions", "strategy_objectives", "strategy_consultations",
                  "strategies"):
        op.drop_table(table)
