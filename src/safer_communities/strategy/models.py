"""Strategy tables of the application database (created by migration ``0002_strategy``).

A strategy owns its consultations and objectives; an objective owns its actions and indicators. Loading
a strategy file replaces a strategy with the same id whole, in one transaction. Links to the framework
register (issues, duties, activities, owners) are register ids, checked at load against the published
register; the baseline value is computed from the evidence store at load and kept, so a later change of
the store shows as a changed baseline rather than silently moving the target.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safer_communities.store.app_db import Base, utcnow


class Strategy(Base):
    """A serious violence strategy, partnership plan, community safety agreement or DA strategy."""

    __tablename__ = "strategies"

    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(60))
    area_code: Mapped[str] = mapped_column(sa.String(20))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    published_on: Mapped[date | None] = mapped_column(sa.Date)
    next_review: Mapped[date] = mapped_column(sa.Date)
    illustrative: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    source_file: Mapped[str] = mapped_column(sa.String(500))
    loaded_by: Mapped[str] = mapped_column(sa.String(200))
    loaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    framework_version: Mapped[int] = mapped_column(sa.Integer)
    definitions_version: Mapped[str] = mapped_column(sa.String(50))
    consultations: Mapped[list[Consultation]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", order_by="Consultation.position",
        lazy="selectin")
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", order_by="Objective.position",
        lazy="selectin")


class Consultation(Base):
    """A recorded consultation on the strategy (who, when, how)."""

    __tablename__ = "strategy_consultations"

    pk: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[str] = mapped_column(sa.ForeignKey("strategies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    partner_id: Mapped[str | None] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(50))
    organisation: Mapped[str] = mapped_column(sa.String(300))
    consulted_on: Mapped[date] = mapped_column(sa.Date)
    method: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    strategy: Mapped[Strategy] = relationship(back_populates="consultations")


class Objective(Base):
    """An objective, linked to register issues and duties."""

    __tablename__ = "strategy_objectives"

    pk: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[str] = mapped_column(sa.ForeignKey("strategies.id", ondelete="CASCADE"))
    objective_id: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    issues: Mapped[list[str]] = mapped_column(sa.JSON)
    duties: Mapped[list[str]] = mapped_column(sa.JSON)
    strategy: Mapped[Strategy] = relationship(back_populates="objectives")
    actions: Mapped[list[Action]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="Action.position",
        lazy="selectin")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="Indicator.position",
        lazy="selectin")

    __table_args__ = (sa.UniqueConstraint("strategy_id", "objective_id",
                                          name="uq_strategy_objectives_strategy_id"),)


class Action(Base):
    """An action with its owner (a register service or partner), dates and status."""

    __tablename__ = "strategy_actions"

    pk: Mapped[int] = mapped_column(primary_key=True)
    objective_pk: Mapped[int] = mapped_column(sa.ForeignKey("strategy_objectives.pk", ondelete="CASCADE"))
    action_id: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    owner_kind: Mapped[str | None] = mapped_column(sa.String(20))
    owner_id: Mapped[str | None] = mapped_column(sa.String(100))
    start_on: Mapped[date] = mapped_column(sa.Date)
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20))
    activities: Mapped[list[str]] = mapped_column(sa.JSON)
    objective: Mapped[Objective] = relationship(back_populates="actions")

    __table_args__ = (
        sa.CheckConstraint("status IN ('not-started', 'in-progress', 'complete', 'delayed', 'cancelled')",
                           name="status"),
        sa.CheckConstraint("due_on >= start_on", name="dates"),
    )


class Indicator(Base):
    """An evidence query with its baseline (computed at load), target, direction and amber tolerance."""

    __tablename__ = "strategy_indicators"

    pk: Mapped[int] = mapped_column(primary_key=True)
    objective_pk: Mapped[int] = mapped_column(sa.ForeignKey("strategy_objectives.pk", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    issue: Mapped[str] = mapped_column(sa.String(100))
    measure: Mapped[str] = mapped_column(sa.String(20))
    area_code: Mapped[str] = mapped_column(sa.String(20))
    period_rule: Mapped[str] = mapped_column(sa.String(40))
    baseline_period: Mapped[str] = mapped_column(sa.String(40))
    baseline_value: Mapped[float | None] = mapped_column(sa.Float)
    baseline_note: Mapped[str | None] = mapped_column(sa.Text)
    direction: Mapped[str] = mapped_column(sa.String(10))
    target_value: Mapped[float | None] = mapped_column(sa.Float)
    target_change_pct: Mapped[float | None] = mapped_column(sa.Float)
    target_date: Mapped[date] = mapped_column(sa.Date)
    amber_tolerance_pct: Mapped[float] = mapped_column(sa.Float)
    partner_indicator: Mapped[str | None] = mapped_column(sa.String(100))  # measure 'partner' (issue 12)
    objective: Mapped[Objective] = relationship(back_populates="indicators")

    __table_args__ = (
        sa.CheckConstraint("measure IN ('count', 'rate', 'harm', 'ksi', 'partner')", name="measure"),
        sa.CheckConstraint("direction IN ('decrease', 'increase')", name="direction"),
    )
