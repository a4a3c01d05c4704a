"""Information-sharing agreements (migration ``0007_sharing``): application data, like the register.

An agreement names its parties (framework partner ids), its legal gateway, purposes, the record-level
feed schemas it covers, retention, DPIA and review dates and a status. A feed ingest names its agreement
and is refused without a valid one; every change is written to the audit log.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from safer_communities.store.app_db import Base, utcnow

AGREEMENT_STATUSES = ("draft", "active", "suspended", "ended")


class SharingAgreement(Base):
    """One information-sharing agreement between partners of the framework."""

    __tablename__ = "sharing_agreements"

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    parties: Mapped[str] = mapped_column(sa.Text)  # space-separated framework partner ids
    legal_gateway: Mapped[str] = mapped_column(sa.Text)
    purposes: Mapped[str] = mapped_column(sa.Text)
    schemas: Mapped[str] = mapped_column(sa.Text)  # space-separated feed schema ids (istv, force-crimes ...)
    retention_days: Mapped[int] = mapped_column(sa.Integer)
    dpia_date: Mapped[date | None] = mapped_column(sa.Date)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    review_date: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'active', 'suspended', 'ended')", name="status"),
        sa.CheckConstraint("retention_days > 0", name="retention_days"),
    )
