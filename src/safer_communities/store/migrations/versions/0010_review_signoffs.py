"""Case review sign-offs: the approver who signed off each decision, publication and closure (issue 14).

Revision ID: 0010_review_signoffs
Revises: 0009_partner_indicators
Create Date: 2026-12-07

The decision (to hold a review, or that the ASB threshold is met or not), the publication (or, for an
ASB case review, the outcome sent to the applicant) and the closing of a review commit the partnership,
so only an approver may record them, and the record keeps who did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_review_signoffs"
down_revision = "0009_partner_indicators"
branch_labels = None
depends_on = None

COLUMNS = ("decision_signed_by", "published_signed_by", "closed_signed_by")


def upgrade() -> None:
    with op.batch_alter_table("case_reviews") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("case_reviews") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
