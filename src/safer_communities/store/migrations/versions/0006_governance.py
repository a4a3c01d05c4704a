"""Governance: amendment separation of duties, case reviews, compliance (issue 14).

Revision ID: 0006_governance
Revises: 0005_security
Create Date: 2026-12-01

Amendments gain the route the register's rules gave them (delegated or Cabinet) with the rules that
classed each change, the consultation as the approver entered it (who, when, outcome) and the Cabinet
decision that approved a non-minor amendment. Case reviews (and their recommendations' links to strategy
actions) get their own tables, with no personal data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_governance"
down_revision = "0005_security"
branch_labels = None
depends_on = None

_AMENDMENT_COLUMNS = (
    ("route", sa.String(20)), ("route_rules", sa.JSON), ("consulted_on", sa.Date),
    ("consultation_outcome", sa.Text), ("cabinet_reference", sa.String(300)), ("cabinet_date", sa.Date),
)


def upgrade() -> None:
    with op.batch_alter_table("framework_amendments") as batch:
        for name, kind in _AMENDMENT_COLUMNS:
            batch.add_column(sa.Column(name, kind))
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(50), nullable=False),
        sa.Column("area_code", sa.String(9), nullable=False),
        sa.Column("notified_on", sa.Date, nullable=False),
        sa.Column("decision", sa.String(20)),
        sa.Column("decided_on", sa.Date),
        sa.Column("panel_on", sa.Date),
        sa.Column("draft_on", sa.Date),
        sa.Column("qa_submitted_on", sa.Date),
        sa.Column("published_on", sa.Date),
        sa.Column("recommendations_made", sa.Boolean),
        sa.Column("closed_on", sa.Date),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_reviews"),
        sa.UniqueConstraint("reference", name="uq_case_reviews_reference"),
        sa.CheckConstraint("kind IN ('dardr', 'owhr', 'asb')", name="ck_case_reviews_kind"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('review', 'no-review', 'threshold-met', "
                           "'threshold-not-met')", name="ck_case_reviews_decision"),
    )
    op.create_table(
        "case_review_recommendations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("review_id", sa.Integer, nullable=False),
        sa.Column("strategy_id", sa.String(100), nullable=False),
        sa.Column("action_id", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_review_recommendations"),
        sa.ForeignKeyConstraint(["review_id"], ["case_reviews.id"], ondelete="CASCADE",
                                name="fk_case_review_recommendations_review_id_case_reviews"),
    )


def downgrade() -> None:
    op.drop_table("case_review_recommendations")
    op.drop_table("case_reviews")
    with op.batch_alter_table("framework_amendments") as batch:
        for name, _ in reversed(_AMENDMENT_COLUMNS):
            batch.drop_column(name)
