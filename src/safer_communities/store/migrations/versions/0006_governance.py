"""Governance: amendment separation of duties, case reviews, compliance (issue 14).

Revision ID: 0006_governance
Revises: 0005_security
Create Date: 2026-12-01

Amendments gain the route the register's rules gave them (delegated or Cabinet) with the rules that
classed each change, the consultation as the approver entered it (who, when, outcome) and the Cabinet
decision that approved a non-minor amendment.
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


def downgrade() -> None:
    with op.batch_alter_table("framework_amendments") as batch:
        for name, _ in reversed(_AMENDMENT_COLUMNS):
            batch.drop_column(name)
