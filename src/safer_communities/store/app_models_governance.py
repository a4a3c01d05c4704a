"""Case reviews (migration ``0006_governance``): a register with no personal data.

A review is a case reference and an area (GSS code) with the dates of its process; nothing else, and
no free text, so nothing identifying a victim, applicant or perpetrator can be typed into it.
Recommendations are strategy actions; the link is kept here by (strategy id, action id).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from safer_communities.store.app_db import Base, utcnow

REVIEW_KINDS = ("dardr", "owhr", "asb")
DECISIONS = ("review", "no-review", "threshold-met", "threshold-not-met")


class CaseReview(Base):
    """A domestic abuse related death review, offensive weapons homicide review or ASB case review."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    reference: Mapped[str] = mapped_column(sa.String(50), unique=True)
    area_code: Mapped[str] = mapped_column(sa.String(9))
    notified_on: Mapped[date] = mapped_column(sa.Date)
    decision: Mapped[str | None] = mapped_column(sa.String(20))
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    panel_on: Mapped[date | None] = mapped_column(sa.Date)
    draft_on: Mapped[date | None] = mapped_column(sa.Date)
    qa_submitted_on: Mapped[date | None] = mapped_column(sa.Date)
    published_on: Mapped[date | None] = mapped_column(sa.Date)
    recommendations_made: Mapped[bool | None] = mapped_column(sa.Boolean)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    # Sign-offs (migration 0010): the approver who recorded the decision, the publication, the closing.
    decision_signed_by: Mapped[str | None] = mapped_column(sa.String(200))
    published_signed_by: Mapped[str | None] = mapped_column(sa.String(200))
    closed_signed_by: Mapped[str | None] = mapped_column(sa.String(200))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('dardr', 'owhr', 'asb')", name="kind"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('review', 'no-review', 'threshold-met', "
                           "'threshold-not-met')", name="decision"),
    )


class CaseReviewRecommendation(Base):
    """A recommendation of a review, tracked as the strategy action it created."""

    __tablename__ = "case_review_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("case_reviews.id", ondelete="CASCADE"))
    strategy_id: Mapped[str] = mapped_column(sa.String(100))
    action_id: Mapped[str] = mapped_column(sa.String(100))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
