"""Strategy indicators can be partner indicators (issue 12 item 6): measure 'partner' and the partner
indicator's id.

Revision ID: 0009_partner_indicators
Revises: 0008_prevention
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_partner_indicators"
down_revision = "0008_prevention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_indicators") as batch:
        batch.add_column(sa.Column("partner_indicator", sa.String(100), nullable=True))
        # 0002 named it through the naming convention, which prefixes it a second time.
        batch.drop_constraint("ck_strategy_indicators_measure", type_="check")
        batch.create_check_constraint("measure", "measure IN ('count', 'rate', 'harm', 'ksi', 'partner')")


def downgrade() -> None:
    op.execute("DELETE FROM strategy_indicators WHERE measure = 'partner'")
    with op.batch_alter_table("strategy_indicators") as batch:
        batch.drop_constraint(op.f("ck_strategy_indicators_measure"), type_="check")
        batch.create_check_constraint("ck_strategy_indicators_measure",  # as 0002 named it
                                      "measure IN ('count', 'rate', 'harm', 'ksi')")
        batch.drop_column("partner_indicator")
